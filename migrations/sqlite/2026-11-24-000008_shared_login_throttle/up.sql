-- Failed logins counted where every instance of the service sees them.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_window ON login_failures (window_started_at);
