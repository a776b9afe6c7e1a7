-- Work lists find a dossier by the applicant's name typed without
-- diacritics: the name folded as `motcua_domain::text::fold` does. SQL
-- cannot fold Vietnamese, so rows written before are folded by the store
-- when it opens (Store::fold_applicant_names).
ALTER TABLE dossiers ADD COLUMN applicant_folded TEXT;
