-- Schema 3: match follow-ups (issue 19). A follow-up is found by id, by
-- the partners of its lead and coordinator (a person's list), by its
-- household (a further match joins the live one) and, while it is live,
-- by the escalation sweep.
CREATE TABLE followups (
    id           text COLLATE "C" PRIMARY KEY,
    municipality text COLLATE "C" NOT NULL,
    household    text COLLATE "C" NOT NULL,
    lead         text COLLATE "C" NOT NULL,
    coordinator  text COLLATE "C" NOT NULL,
    live         boolean NOT NULL,
    value        json NOT NULL
);
CREATE INDEX followups_by_lead ON followups (lead, id);
CREATE INDEX followups_by_coordinator ON followups (coordinator, id);
CREATE INDEX followups_by_household ON followups (municipality, household, id);
CREATE INDEX followups_live ON followups (id) WHERE live;
