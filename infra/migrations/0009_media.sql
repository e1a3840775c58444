-- Uploaded files (videos, thumbnails, avatars, resources, subtitles) and what lessons use them.
-- A row is made when an upload is requested ('pending'); the bytes go straight to storage (the
-- local upload function or a presigned S3 PUT); the real type is then checked from the file's
-- first bytes ('ready' or 'rejected'). Private files are only ever handed out as short-lived
-- signed links; public ones (thumbnails, avatars) have a permanent URL. 'uploading': the local
-- upload function is writing the bytes (one writer at a time).

CREATE TABLE media (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id      uuid NOT NULL REFERENCES users (id),
    purpose       text NOT NULL CHECK (purpose IN ('video', 'thumbnail', 'avatar', 'resource', 'subtitle')),
    storage       text NOT NULL CHECK (storage IN ('local', 's3')),
    -- Where the bytes are: `public/...` or `private/...`, unique; never derived from input.
    object_key    text NOT NULL UNIQUE,
    -- The client's file name (cleaned), offered as the download name.
    filename      text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 200),
    -- What the client declared, and what the first bytes showed (set when checked).
    declared_type text NOT NULL,
    content_type  text,
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'uploading', 'verifying', 'ready', 'rejected')),
    reject_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_owner_idx ON media (owner_id, created_at DESC);
CREATE INDEX media_pending_idx ON media (created_at) WHERE status IN ('pending', 'uploading', 'verifying');

-- A lesson's video, materials and subtitles may be uploaded files (the *_url columns stay for
-- files hosted elsewhere). Deleting a file detaches it.
ALTER TABLE lessons
    ADD COLUMN video_media_id     uuid REFERENCES media (id) ON DELETE SET NULL,
    ADD COLUMN materials_media_id uuid REFERENCES media (id) ON DELETE SET NULL,
    ADD COLUMN subtitle_media_id  uuid REFERENCES media (id) ON DELETE SET NULL;

-- Downloadable resources (PDF, slides, archives...) of a lesson, in order.
CREATE TABLE lesson_resources (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    lesson_id  uuid NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    media_id   uuid NOT NULL REFERENCES media (id),
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    position   integer NOT NULL CHECK (position >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lesson_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX lesson_resources_media_idx ON lesson_resources (media_id);
