CREATE FUNCTION evaluation.lock_panel(the_cycle integer) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('evaluation.panel'), the_cycle);
$$;

CREATE VIEW evaluation.panel_target_ties AS
SELECT m.id AS panel_member_id, t.id AS target_id,
       array_agg(k.organization_id ORDER BY k.organization_id) AS organization_ids,
       string_agg(k.organization_id::text || ' (' || k.reason || ')', ', ' ORDER BY k.organization_id) AS ties
FROM evaluation.panel_members m
JOIN evaluation.panel_member_ties k ON k.panel_member_id = m.id
JOIN evaluation.targets t ON t.cycle_id = m.cycle_id AND t.round = m.round
    AND (k.organization_id = t.organization_id OR k.organization_id = ANY (t.member_organization_ids))
GROUP BY m.id, t.id;

CREATE FUNCTION evaluation.refresh_exclusions(the_cycle integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evaluation.lock_panel(the_cycle);
    INSERT INTO evaluation.recusals AS r
        (panel_member_id, target_id, ground, status, reason, requested_by, decided_by, decided_at)
    SELECT v.panel_member_id, v.target_id, 'exclusion', 'upheld',
           'tied to organisation(s) ' || v.ties,
           coalesce(nullif(current_setting('evaluation.actor', true), ''), 'system'), 'system', now()
    FROM evaluation.panel_target_ties v
    JOIN evaluation.panel_members m ON m.id = v.panel_member_id
    WHERE m.cycle_id = the_cycle
    ON CONFLICT (panel_member_id, target_id) WHERE ground = 'exclusion'
    DO UPDATE SET status = 'upheld', reason = EXCLUDED.reason, decided_at = now()
        WHERE r.status <> 'upheld' OR r.reason <> EXCLUDED.reason;
    UPDATE evaluation.recusals r SET status = 'lifted', decided_at = now()
    FROM evaluation.panel_members m
    WHERE m.id = r.panel_member_id AND m.cycle_id = the_cycle
      AND r.ground = 'exclusion' AND r.status = 'upheld'
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.panel_target_ties v
          WHERE v.panel_member_id = r.panel_member_id AND v.target_id = r.target_id
      );
END $$;

CREATE FUNCTION evaluation.ties_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    the_member integer;
    the_cycle integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        the_member := OLD.panel_member_id;
    ELSE
        the_member := NEW.panel_member_id;
    END IF;
    SELECT cycle_id INTO the_cycle FROM evaluation.panel_members WHERE id = the_member;
    PERFORM evaluation.refresh_exclusions(the_cycle);
    RETURN NULL;
END $$;

CREATE TRIGGER ties_changed AFTER INSERT OR UPDATE OR DELETE ON evaluation.panel_member_ties
    FOR EACH ROW EXECUTE FUNCTION evaluation.ties_changed();

CREATE FUNCTION evaluation.target_organisations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evaluation.refresh_exclusions(NEW.cycle_id);
    RETURN NULL;
END $$;

CREATE TRIGGER target_organisations_changed
    AFTER INSERT OR UPDATE OF organization_id, member_organization_ids, round ON evaluation.targets
    FOR EACH ROW EXECUTE FUNCTION evaluation.target_organisations_changed();

CREATE FUNCTION evaluation.recusal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    challenged text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'recusals are never deleted' USING ERRCODE = 'P0001';
    END IF;
    -- Ordered with any score write of the rater (which holds this row FOR SHARE).
    SELECT subject INTO challenged FROM evaluation.panel_members WHERE id = NEW.panel_member_id FOR UPDATE;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.panel_member_id, NEW.target_id, NEW.ground, NEW.requested_by, NEW.requested_at)
            IS DISTINCT FROM
            (OLD.panel_member_id, OLD.target_id, OLD.ground, OLD.requested_by, OLD.requested_at)
        THEN
            RAISE EXCEPTION 'recusal % keeps its rater, target, ground and request', OLD.id
                USING ERRCODE = 'P0001';
        END IF;
        IF OLD.ground = 'withdrawal' OR (OLD.ground = 'challenge' AND OLD.status <> 'pending') THEN
            RAISE EXCEPTION 'recusal % was already decided (%)', OLD.id, OLD.status
                USING ERRCODE = 'P0001', CONSTRAINT = 'recusal_decided';
        END IF;
    END IF;
    IF NEW.ground = 'challenge' AND NEW.decided_by = challenged THEN
        RAISE EXCEPTION 'the challenged rater cannot decide the challenge'
            USING ERRCODE = 'P0001', CONSTRAINT = 'recusal_decided_by_challenged';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER recusal_guard BEFORE INSERT OR UPDATE OR DELETE ON evaluation.recusals
    FOR EACH ROW EXECUTE FUNCTION evaluation.recusal_guard();

CREATE FUNCTION evaluation.score_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member evaluation.panel_members%ROWTYPE;
    the_target evaluation.targets%ROWTYPE;
    the_indicator evaluation.indicators%ROWTYPE;
    recused_ground text;
    recused_status text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'scores are never deleted' USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'submitted' THEN
            RAISE EXCEPTION 'score % was submitted: submitted scores are never changed', OLD.id
                USING ERRCODE = 'P0001', CONSTRAINT = 'score_submitted';
        END IF;
        IF (NEW.target_id, NEW.indicator_id, NEW.panel_member_id, NEW.version)
            IS DISTINCT FROM (OLD.target_id, OLD.indicator_id, OLD.panel_member_id, OLD.version)
        THEN
            RAISE EXCEPTION 'score % keeps its target, indicator, rater and version', OLD.id
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    -- Waits for a recusal or a replacement of the rater in flight, then sees it.
    SELECT * INTO member FROM evaluation.panel_members WHERE id = NEW.panel_member_id FOR SHARE;
    SELECT * INTO the_target FROM evaluation.targets WHERE id = NEW.target_id;
    IF NOT member.active OR member.cycle_id <> the_target.cycle_id OR member.round <> the_target.round THEN
        RAISE EXCEPTION 'rater % is not an active member of the panel of target %', member.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_not_on_panel';
    END IF;
    IF NEW.version <> the_target.review_version THEN
        RAISE EXCEPTION 'target % is in review version %, not %', the_target.id, the_target.review_version,
            NEW.version USING ERRCODE = 'P0001', CONSTRAINT = 'score_version_not_current';
    END IF;
    SELECT ground, status INTO recused_ground, recused_status FROM evaluation.recusals
        WHERE panel_member_id = member.id AND target_id = the_target.id
          AND (status = 'upheld' OR (ground = 'challenge' AND status = 'pending'))
        ORDER BY (status = 'upheld') DESC, id LIMIT 1;
    IF recused_status = 'upheld' THEN
        RAISE EXCEPTION 'rater % is recused from target % (%)', member.id, the_target.id, recused_ground
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_' || recused_ground;
    ELSIF recused_status = 'pending' THEN
        RAISE EXCEPTION 'rater % is challenged for target % and cannot score until it is decided',
            member.id, the_target.id USING ERRCODE = 'P0001', CONSTRAINT = 'score_rater_challenge_pending';
    END IF;
    IF NEW.status = 'draft' AND EXISTS (
        SELECT 1 FROM evaluation.scores
        WHERE panel_member_id = NEW.panel_member_id AND target_id = NEW.target_id AND version = NEW.version
          AND status = 'submitted'
    ) THEN
        RAISE EXCEPTION 'rater % already submitted the sheet of target %', member.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_submitted';
    END IF;
    SELECT * INTO the_indicator FROM evaluation.indicators WHERE id = NEW.indicator_id;
    IF the_indicator.cycle_id <> the_target.cycle_id
        OR (the_indicator.target_id IS NOT NULL AND the_indicator.target_id <> the_target.id)
    THEN
        RAISE EXCEPTION 'indicator % is not an indicator of target %', the_indicator.id, the_target.id
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_indicator_not_of_target';
    END IF;
    IF the_indicator.measure = 'qualitative' THEN
        IF NEW.rubric_level_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM evaluation.rubric_levels
            WHERE id = NEW.rubric_level_id AND scale_id = the_indicator.rubric_id
        ) THEN
            RAISE EXCEPTION 'indicator % is scored with a level of rubric %', the_indicator.id,
                the_indicator.rubric_id USING ERRCODE = 'P0001', CONSTRAINT = 'score_level_not_of_rubric';
        END IF;
    ELSIF NEW.points IS NULL OR NEW.points < 0 OR NEW.points > the_indicator.weight THEN
        RAISE EXCEPTION 'indicator % is scored with points from 0 to %', the_indicator.id,
            the_indicator.weight USING ERRCODE = 'P0001', CONSTRAINT = 'score_points_range';
    END IF;
    NEW.updated_at := now();
    IF NEW.status = 'submitted' AND (TG_OP = 'INSERT' OR OLD.status = 'draft') THEN
        NEW.submitted_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER score_guard BEFORE INSERT OR UPDATE OR DELETE ON evaluation.scores
    FOR EACH ROW EXECUTE FUNCTION evaluation.score_guard();

CREATE FUNCTION evaluation.sheet_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(i.id::text, ', ' ORDER BY i.id) INTO missing
    FROM evaluation.indicators i
    JOIN evaluation.targets t ON t.id = NEW.target_id
    WHERE i.cycle_id = t.cycle_id AND (i.target_id IS NULL OR i.target_id = t.id)
      AND NOT EXISTS (
          SELECT 1 FROM evaluation.scores s
          WHERE s.target_id = NEW.target_id AND s.indicator_id = i.id
            AND s.panel_member_id = NEW.panel_member_id
            AND s.version = NEW.version AND s.status = 'submitted'
      );
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'the sheet of rater % for target % lacks submitted scores of indicator(s) %',
            NEW.panel_member_id, NEW.target_id, missing
            USING ERRCODE = 'P0001', CONSTRAINT = 'score_sheet_incomplete';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER sheet_complete AFTER INSERT OR UPDATE ON evaluation.scores
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'submitted')
    EXECUTE FUNCTION evaluation.sheet_complete();
