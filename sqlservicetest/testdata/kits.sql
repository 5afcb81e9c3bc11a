-- Two kits; the semicolon inside the literal does not end a statement.
INSERT INTO kit (name) VALUES ('hammer; claw');
INSERT INTO kit (name) VALUES ('saw');
