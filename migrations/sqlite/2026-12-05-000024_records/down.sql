DROP TABLE document_records;
