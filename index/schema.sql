-- The built index, made from the raw store by `gikai build` (a full build, or an incremental one that
-- edits a copy); the file a server reads is never edited in place.
CREATE TABLE build_info (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE assemblies (
    assembly_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    prefecture VARCHAR
);

CREATE TABLE meetings (
    meeting_id VARCHAR PRIMARY KEY,      -- sha1 of (source_system, source_id), stable across builds
    assembly_code VARCHAR NOT NULL,
    source_system VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    committee VARCHAR,
    date DATE,
    title VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL
);

CREATE TABLE members (
    member_id VARCHAR PRIMARY KEY,       -- <assembly_code>-<sha1(name_key)[:12]>, stable across builds
    assembly_code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    surname_only BOOLEAN NOT NULL,
    seats VARCHAR,
    first_date DATE,
    last_date DATE,
    n_speeches INTEGER NOT NULL,
    n_questions INTEGER NOT NULL,
    -- From the assembly's roster (latest observation), when crawled:
    reading VARCHAR,
    party VARCHAR,
    district VARCHAR,
    committees VARCHAR[],
    term_start DATE,
    term_end DATE,
    profile_url VARCHAR,
    links VARCHAR,                       -- JSON object: kind (site, blog, x, facebook, …) → URL
    roster_seat VARCHAR,                 -- the roster's seat, shown when the minutes give none
    roster_party VARCHAR                 -- the roster's 会派; party is this, else the latest one named in the minutes
);

-- Committee surnames (西沢委員) linked to the one full-named member they can be, so an incremental
-- build links new speeches the same way and notices when a new member makes a link ambiguous.
CREATE TABLE surname_links (
    assembly_code VARCHAR NOT NULL,
    surname_key VARCHAR NOT NULL,
    full_key VARCHAR NOT NULL
);

-- Every roster observation, so a member who changed 会派 or committees keeps one id with dated affiliations,
-- and the latest day a member spoke for each 会派 in the minutes (nlp/party.py).
CREATE TABLE affiliations (
    member_id VARCHAR NOT NULL,
    assembly_code VARCHAR NOT NULL,
    party VARCHAR,
    seat VARCHAR,
    district VARCHAR,
    committees VARCHAR[],
    term_start DATE,
    term_end DATE,
    source_url VARCHAR NOT NULL,
    observed_at TIMESTAMP,
    source VARCHAR NOT NULL DEFAULT 'roster',  -- roster, or minutes: 「…を代表して」 at the opening of a speech
    named_on DATE,                       -- minutes: the latest day the member spoke for this 会派
    quote VARCHAR                        -- minutes: the words that name the 会派
);

CREATE TABLE speeches (
    speech_id VARCHAR NOT NULL,          -- <meeting_id>-<order>
    meeting_id VARCHAR NOT NULL,
    ord INTEGER NOT NULL,
    speaker_raw VARCHAR,
    role VARCHAR,
    role_kind VARCHAR NOT NULL,          -- member / chair / executive / staff / witness / unknown / post
    speaker_name VARCHAR,
    seat INTEGER,
    member_id VARCHAR,
    answers_speech_id VARCHAR,
    text VARCHAR NOT NULL
);

CREATE TABLE passages (
    passage_id INTEGER NOT NULL,         -- internal; changes between full builds
    statement_id VARCHAR NOT NULL,       -- public, stable: <speech_id>-p<ordinal>
    speech_id VARCHAR NOT NULL,
    meeting_id VARCHAR NOT NULL,
    assembly_code VARCHAR NOT NULL,
    date DATE,
    member_id VARCHAR,
    role_kind VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    heading VARCHAR,
    text VARCHAR NOT NULL,
    answers_passage_id INTEGER,
    n_tokens INTEGER NOT NULL,
    speaker_name VARCHAR,                -- as in speeches, so showing a passage needs no join with them
    speaker_role VARCHAR
);

-- BM25 keeps counts, not weights: idf and length normalisation are computed when the index is
-- read (index/bm25.py), so an incremental build appends postings without rewriting the others.
CREATE TABLE terms (
    term_id INTEGER NOT NULL,
    term VARCHAR NOT NULL,
    df INTEGER NOT NULL                  -- passages containing the term
);

CREATE TABLE postings (
    term_id INTEGER NOT NULL,
    passage_id INTEGER NOT NULL,
    tf INTEGER NOT NULL
);

-- Policy topics (nlp/topics.yaml + user file) and how strongly each passage engages with them.
CREATE TABLE topics (
    topic_id VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL,
    parent VARCHAR,
    description VARCHAR
);

CREATE TABLE passage_topics (
    passage_id INTEGER NOT NULL,
    topic_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL
);
