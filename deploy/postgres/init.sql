-- One PostgreSQL server, one database per service (each service owns its
-- data; nothing joins across them) and Temporal's two. Runs once, when the
-- volume is new.
CREATE DATABASE orders;
CREATE DATABASE inventory;
CREATE DATABASE payments;
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
