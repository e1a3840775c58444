-- The job queue: one hot table of pending and running jobs (finished jobs are deleted, dead
-- ones kept until an admin retries or discards them), schedules with one run per slot.
-- The statements that use it are in Shared/Queue/Queue.swift, one per purpose.

CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z0-9_.-]{1,64}$'),
    kind         text NOT NULL CHECK (kind ~ '^[a-z0-9_.-]{1,64}$'),
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Lower runs first.
    priority     smallint NOT NULL DEFAULT 0,
    run_at       timestamptz NOT NULL DEFAULT now(),
    state        text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
    -- At most one pending (ready or running) job per key.
    unique_key   text,
    -- The worker holding the job and until when (its lease, extended by heartbeats).
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    -- The last few errors, newest last: [{"at": ..., "attempt": n, "error": "..."}].
    errors       jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'running') = (locked_until IS NOT NULL))
)
-- Rows are updated once or twice and then deleted: leave room for HOT updates and vacuum often.
WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 500,
      autovacuum_analyze_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0);

-- The claim walks this in order and stops at the first job it can lock.
CREATE INDEX jobs_ready_idx ON jobs (queue, priority, run_at, id) WHERE state = 'ready';
-- The reaper finds expired leases.
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE state = 'running';
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state <> 'dead';
-- The admin list filters by state and kind, newest first.
CREATE INDEX jobs_state_kind_idx ON jobs (state, kind, id);

-- One NOTIFY per statement and queue; PostgreSQL folds repeats within a transaction.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lms_jobs', queue) FROM (SELECT DISTINCT queue FROM new_jobs WHERE state = 'ready') AS q;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();

-- Recurring jobs: the last slot enqueued per schedule. A worker that locks the row enqueues
-- every slot after it up to now (catch-up after downtime) and moves it forward, so each slot
-- runs once however many workers tick.
CREATE TABLE job_schedules (
    name       text PRIMARY KEY,
    last_slot  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
