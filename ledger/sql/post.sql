-- ledger.post on PostgreSQL: apply one instruction in one round trip. Python decides everything (which rows
-- move, the posting lines, the digest, the daily ceiling) and composes the guards' statements from the
-- models (ledger.books._statement); this function only runs what it is handed and writes rows. Any RAISE
-- rolls back everything this call did. Raises (DETAIL names the refusal):
--   IB001 a claim or a check did not match its row; IB003 over the ceiling; IB004 insufficient funds.
--
-- p = {"entry": {"at", "kind", "reference", "reverses"},
--      "guards": [{"name", "sql", "args", "refused"}],   -- each must match exactly one row
--      "usages": [{"contract", "day", "scope", "amount", "ceiling", "refused"}],      -- each under its ceiling
--      "lines": [{"account", "amount", "memo", "counterparty"}],                   -- balanced, any order
--      "after": [{"name", "sql", "args"}]}                                         -- the link, the audit entry
-- A statement ("sql") takes the new journal entry's id as $1 and its "args" as $2, $3, …; it is prepared once
-- a connection under its "name" (a digest of its text, so one name is one statement), then only executed:
-- parsed and planned once, not on every movement.
CREATE OR REPLACE FUNCTION ibank_run(p_entry bigint, g jsonb, p_prepared text[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_found bigint;
BEGIN
    IF NOT (g->>'name' = ANY (p_prepared)) THEN
        EXECUTE format('PREPARE %I (bigint) AS %s', g->>'name', g->>'sql');
    END IF;
    EXECUTE format('EXECUTE %I(%s)', g->>'name', concat_ws(', ', p_entry::text,
        (SELECT string_agg(quote_nullable(a #>> '{}'), ', ' ORDER BY n)
           FROM jsonb_array_elements(g->'args') WITH ORDINALITY AS x(a, n))));
    GET DIAGNOSTICS v_found = ROW_COUNT;
    RETURN v_found;
END
$$;

CREATE OR REPLACE FUNCTION ibank_post(p jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    g jsonb;
    v_entry bigint;
    v_balance bigint;
    v_prepared text[];
    r record;
BEGIN
    -- Prepared statements are the session's; psycopg deallocates them all after a rollback, so look, once.
    SELECT coalesce(array_agg(name), '{}') INTO v_prepared FROM pg_prepared_statements WHERE name LIKE 'ibank\_%';
    -- The entry first: the claims may point their row to it. A refusal below rolls it back.
    INSERT INTO transfers_journalentry (at, kind, reference, reverses_id)
    VALUES ((p#>>'{entry,at}')::timestamptz, p#>>'{entry,kind}', p#>>'{entry,reference}',
            (p#>>'{entry,reverses}')::bigint)
    RETURNING id INTO v_entry;

    FOR g IN SELECT * FROM jsonb_array_elements(coalesce(p->'guards', '[]')) LOOP
        IF ibank_run(v_entry, g, v_prepared) <> 1 THEN
            RAISE EXCEPTION 'refused' USING ERRCODE = 'IB001', DETAIL = g->>'refused';
        END IF;
        v_prepared := v_prepared || (g->>'name');
    END LOOP;

    -- Each ceiling in order (the daily limit, then any cap): of racing movements only those that fit pass.
    FOR g IN SELECT * FROM jsonb_array_elements(coalesce(p->'usages', '[]')) LOOP
        INSERT INTO transfers_dailyusage AS u (contract_id, date, scope, used)
        SELECT (g->>'contract')::bigint, (g->>'day')::date, g->>'scope', (g->>'amount')::bigint
         WHERE (g->>'amount')::bigint <= (g->>'ceiling')::bigint
        ON CONFLICT (contract_id, date, scope) DO UPDATE SET used = u.used + excluded.used
         WHERE u.used + excluded.used <= (g->>'ceiling')::bigint;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'over the ceiling' USING ERRCODE = 'IB003', DETAIL = g->>'refused';
        END IF;
    END LOOP;

    -- Balances move in ascending account id (the lock order of every movement: no deadlock).
    FOR r IN
        SELECT (l->>'account')::bigint AS account_id, (l->>'amount')::bigint AS amount, l->>'memo' AS memo,
               coalesce(l->>'counterparty', '') AS counterparty
          FROM jsonb_array_elements(p->'lines') WITH ORDINALITY AS x(l, n)
         ORDER BY 1, x.n
    LOOP
        UPDATE accounts_account a SET balance = a.balance + r.amount
         WHERE a.id = r.account_id AND (a.balance + r.amount >= 0 OR a.purpose <> 'customer')
        RETURNING a.balance INTO v_balance;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'insufficient funds in account %', r.account_id USING ERRCODE = 'IB004',
                DETAIL = 'insufficient_funds';
        END IF;
        INSERT INTO transfers_posting (entry_id, account_id, amount, balance_after, memo, counterparty, at)
        VALUES (v_entry, r.account_id, r.amount, v_balance, r.memo, r.counterparty, (p#>>'{entry,at}')::timestamptz);
    END LOOP;

    FOR g IN SELECT * FROM jsonb_array_elements(coalesce(p->'after', '[]')) LOOP
        PERFORM ibank_run(v_entry, g, v_prepared);
        v_prepared := v_prepared || (g->>'name');
    END LOOP;
    RETURN v_entry;
END
$$;
