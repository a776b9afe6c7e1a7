-- A year's official notice of days off, as imported (`motcua calendar
-- import`): it replaces the shipped notice of that year. The text is kept
-- whole so that what was imported can be shown and checked again.
CREATE TABLE calendar_notices (
    year BIGINT PRIMARY KEY,
    text TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
