-- The built index. Rebuilt from the raw store by `gikai build`; never edited in place.
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
    links VARCHAR                        -- JSON object: kind (site, blog, x, facebook, …) → URL
);

-- Every roster observation, so a member who changed 会派 or committees keeps one id with dated affiliations.
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
    observed_at TIMESTAMP
);

CREATE TABLE speeches (
    speech_id VARCHAR PRIMARY KEY,       -- <meeting_id>-<order>
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
    passage_id INTEGER PRIMARY KEY,      -- internal, dense; changes between builds
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
    n_tokens INTEGER NOT NULL
);

CREATE TABLE terms (
    term_id INTEGER PRIMARY KEY,
    term VARCHAR NOT NULL,
    df INTEGER NOT NULL,
    idf DOUBLE NOT NULL
);

-- BM25Okapi weight of each term in each passage, so a query is one join and a sum.
CREATE TABLE postings (
    term_id INTEGER NOT NULL,
    passage_id INTEGER NOT NULL,
    tf INTEGER NOT NULL,
    weight DOUBLE NOT NULL
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
