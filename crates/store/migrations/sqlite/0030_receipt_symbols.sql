-- The receipt symbols a unit registered (its "receipts" settings), kept on
-- each receipt as issued: a later change of series never rewrites one.
-- Receipts issued before have none.
ALTER TABLE payments ADD COLUMN template_symbol TEXT;
ALTER TABLE payments ADD COLUMN series TEXT;
