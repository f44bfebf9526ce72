-- Schema 4: ended involvements by the day they ended (broker.Involvement.EndedOn:
-- the end date, or without one the day it was last changed, UTC), so that the
-- hourly retention sweep reads only those due instead of every involvement.
-- NULL while an involvement is not ended; the partial index holds only the
-- ended ones.
ALTER TABLE involvements ADD COLUMN ended_on text COLLATE "C";
UPDATE involvements SET ended_on = coalesce(nullif(value->>'end', ''),
        to_char((value->>'updated_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
    WHERE value->>'status' = 'ended';
CREATE INDEX involvements_ended ON involvements (ended_on, partner, ref) WHERE ended_on IS NOT NULL;
