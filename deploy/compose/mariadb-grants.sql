-- Run once by the primary's first start (docker-entrypoint-initdb.d), after the app's user is
-- made; written to the binary log, so the replica gets the grant too. The app reads each
-- replica's lag and replication state (SHOW REPLICA STATUS) to decide whether it may read
-- from it (docs/operations.md, "Read replicas"): without this grant no replica is ever used.
GRANT SLAVE MONITOR ON *.* TO 'tasklane'@'%';
