DROP INDEX document_versions_by_content;
DROP TABLE document_records;
