    CREATE FUNCTION budget.record_history() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
        new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    BEGIN
        INSERT INTO budget.history (table_name, record_id, action, before, after, actor, actor_role, reason)
        VALUES (
            TG_TABLE_NAME,
            coalesce(new_row ->> 'id', new_row ->> 'code', old_row ->> 'id', old_row ->> 'code'),
            lower(TG_OP),
            old_row,
            new_row,
            coalesce(nullif(current_setting('budget.actor', true), ''), 'system'),
            nullif(current_setting('budget.actor_role', true), ''),
            nullif(current_setting('budget.reason', true), '')
        );
        RETURN NULL;
    END $$

    -- A parent equals the sum of its children. Deferred to COMMIT, so a batch can change a child and its
    -- ancestors together; the year's root row is locked first, so two batches of one tree are serialised.

    CREATE FUNCTION budget.programme_sum_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        year integer;
        codes text[];
        node record;
        children bigint;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            year := NEW.fiscal_year;
            codes := ARRAY[NEW.code, NEW.parent_code];
        ELSIF TG_OP = 'UPDATE' THEN
            year := NEW.fiscal_year;
            codes := ARRAY[NEW.code, NEW.parent_code, OLD.code, OLD.parent_code];
        ELSE
            year := OLD.fiscal_year;
            codes := ARRAY[OLD.code, OLD.parent_code];
        END IF;
        PERFORM 1 FROM budget.programme_nodes WHERE fiscal_year = year AND parent_code IS NULL FOR UPDATE;
        FOR node IN
            SELECT p.code, p.amount_krw FROM budget.programme_nodes p
            WHERE p.fiscal_year = year
              AND p.code = ANY (codes)
              AND EXISTS (SELECT 1 FROM budget.programme_nodes c
                          WHERE c.fiscal_year = year AND c.parent_code = p.code)
        LOOP
            SELECT sum(amount_krw) INTO children FROM budget.programme_nodes
                WHERE fiscal_year = year AND parent_code = node.code;
            IF children <> node.amount_krw THEN
                RAISE EXCEPTION 'programme % node %: % KRW, but its children sum to % KRW',
                    year, node.code, node.amount_krw, children USING ERRCODE = 'P0001';
            END IF;
        END LOOP;
        RETURN NULL;
    END $$

    -- The cap of a district's year: the type's district amount (or its ceiling) plus 50 M per 동.

    CREATE FUNCTION budget.district_cap_krw(df budget.district_funding) RETURNS bigint
    LANGUAGE sql STABLE AS $$
        SELECT coalesce(t.max_total_krw,
                        coalesce(t.district_grant_krw, 0) + coalesce(t.innovation_plan_krw, 0))
               + t.neighbourhood_plan_krw * df.neighbourhoods
        FROM budget.funding_types t WHERE t.code = df.funding_type
    $$

    CREATE FUNCTION budget.district_committed_krw(district text, year integer) RETURNS bigint
    LANGUAGE sql STABLE AS $$
        SELECT (SELECT coalesce(sum(e.amount_krw), 0) FROM budget.envelopes e
                JOIN budget.cycles c ON c.id = e.cycle_id
                WHERE e.district_code = district AND c.fiscal_year = year)
             + (SELECT coalesce(sum(g.amount_krw), 0) FROM budget.grants g
                WHERE g.district_code = district AND g.fiscal_year = year AND g.status IN ('awarded', 'paid'))
    $$

    CREATE FUNCTION budget.district_cap_check(district text, year integer) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        df budget.district_funding;
        cap bigint;
        committed bigint;
    BEGIN
        SELECT * INTO df FROM budget.district_funding
            WHERE district_code = district AND fiscal_year = year FOR UPDATE;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        cap := budget.district_cap_krw(df);
        committed := budget.district_committed_krw(district, year);
        IF committed > cap THEN
            RAISE EXCEPTION
                'district % in %: envelopes and grants would total % KRW, over its % cap of % KRW',
                district, year, committed, df.funding_type, cap USING ERRCODE = 'P0001';
        END IF;
    END $$

    CREATE FUNCTION budget.envelope_cap_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.district_code IS NOT NULL THEN
            PERFORM budget.district_cap_check(
                NEW.district_code, (SELECT fiscal_year FROM budget.cycles WHERE id = NEW.cycle_id));
        END IF;
        RETURN NULL;
    END $$

    CREATE FUNCTION budget.grant_cap_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status IN ('awarded', 'paid') THEN
            PERFORM budget.district_cap_check(NEW.district_code, NEW.fiscal_year);
        END IF;
        RETURN NULL;
    END $$

    CREATE FUNCTION budget.grant_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
            (OLD.status = 'applied' AND NEW.status IN ('awarded', 'rejected'))
            OR (OLD.status = 'awarded' AND NEW.status = 'paid')
        ) THEN
            RAISE EXCEPTION 'grant % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'P0001';
        END IF;
        IF OLD.status <> 'applied' AND (NEW.amount_krw <> OLD.amount_krw
                OR NEW.city_share_krw <> OLD.city_share_krw) THEN
            RAISE EXCEPTION 'grant % is %: its amounts are fixed', OLD.id, OLD.status USING ERRCODE = 'P0001';
        END IF;
        IF OLD.evaluation_result_id IS NOT NULL
                AND NEW.evaluation_result_id IS DISTINCT FROM OLD.evaluation_result_id THEN
            RAISE EXCEPTION 'grant % already has evaluation result %', OLD.id, OLD.evaluation_result_id
                USING ERRCODE = 'P0001';
        END IF;
        RETURN NEW;
    END $$

    -- The triggers (each audited table's history trigger is created after these, in the migration).

    CREATE CONSTRAINT TRIGGER programme_sum_guard AFTER INSERT OR UPDATE OR DELETE ON budget.programme_nodes
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION budget.programme_sum_guard()

    CREATE TRIGGER envelope_cap_guard AFTER INSERT OR UPDATE OF amount_krw, district_code ON budget.envelopes
        FOR EACH ROW EXECUTE FUNCTION budget.envelope_cap_guard()

    CREATE TRIGGER grant_cap_guard AFTER INSERT OR UPDATE OF status, amount_krw ON budget.grants
        FOR EACH ROW EXECUTE FUNCTION budget.grant_cap_guard()

    CREATE TRIGGER grant_status_guard BEFORE UPDATE ON budget.grants
        FOR EACH ROW EXECUTE FUNCTION budget.grant_status_guard()

    CREATE TRIGGER history_immutable BEFORE UPDATE OR DELETE ON budget.history
        FOR EACH ROW EXECUTE FUNCTION budget.refuse_change()

    CREATE TRIGGER evaluation_results_immutable BEFORE UPDATE OR DELETE ON budget.evaluation_results
        FOR EACH ROW EXECUTE FUNCTION budget.refuse_change()
