-- Finding everything about one person, for a data-subject request (Decree 13/2023).
CREATE INDEX dossiers_applicant_id ON dossiers(applicant_id_number);
