-- Schema 2: the replay cache that every broker of a region shares
-- (issue 20): a request token's (issuer, jti) is kept until the token
-- expires, so a token used at one broker is refused at every other.
-- Logged and synchronously committed like everything else: a database
-- crash must not forget a jti whose token is still valid.
CREATE TABLE replay (
    issuer text COLLATE "C" NOT NULL,
    jti    text COLLATE "C" NOT NULL,
    until  timestamptz NOT NULL,
    PRIMARY KEY (issuer, jti)
);
-- The purge of expired entries goes by until.
CREATE INDEX replay_by_until ON replay (until);
