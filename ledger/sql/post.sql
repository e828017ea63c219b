-- ledger.post on PostgreSQL: apply one instruction in one round trip. Python decides everything (which rows
-- move, the posting lines, the digest, the daily ceiling); this function only applies the guards it is handed
-- and writes rows. Any RAISE rolls back everything this call did. Raises (DETAIL names the refusal):
--   IB001 a claim or a check did not match its row; IB003 over the ceiling; IB004 insufficient funds.
--
-- p = {"checks": [{"table", "id", "where": {column: value}, "refused"}],        -- FOR SHARE, must match
--      "claims": [{"table", "id", "set": {column: value}, "where": {...}, "refused"}],  -- must change 1 row
--      "usages": [{"contract", "day", "scope", "amount", "ceiling", "refused"}],      -- each under its ceiling
--      "lines": [{"account", "amount", "memo", "counterparty"}],                   -- balanced, any order
--      "entry": {"at", "kind", "reference"}, "link": {"table", "id"},
--      "audit": {column: value}, "audit_columns": [...]}                          -- the entry id is added
CREATE OR REPLACE FUNCTION ibank_post(p jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    g jsonb;
    v_sets text;
    v_conds text;
    v_found int;
    v_entry bigint;
    v_balance bigint;
    r record;
BEGIN
    FOR g IN SELECT * FROM jsonb_array_elements(coalesce(p->'checks', '[]') || coalesce(p->'claims', '[]')) LOOP
        SELECT string_agg(CASE WHEN jsonb_typeof(value) = 'null' THEN format('%I IS NULL', key)
                               ELSE format('%I = %L', key, value #>> '{}') END, ' AND ')
          INTO v_conds FROM jsonb_each(g->'where');
        IF g ? 'set' THEN
            SELECT string_agg(format('%I = %L', key, value #>> '{}'), ', ') INTO v_sets FROM jsonb_each(g->'set');
            EXECUTE format('UPDATE %I SET %s WHERE id = %L AND %s', g->>'table', v_sets, g->>'id', v_conds);
        ELSE
            EXECUTE format('SELECT 1 FROM %I WHERE id = %L AND %s FOR SHARE', g->>'table', g->>'id', v_conds);
        END IF;
        GET DIAGNOSTICS v_found = ROW_COUNT;
        IF v_found <> 1 THEN
            RAISE EXCEPTION 'refused' USING ERRCODE = 'IB001', DETAIL = g->>'refused';
        END IF;
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

    INSERT INTO transfers_journalentry (at, kind, reference, reverses_id)
    VALUES ((p#>>'{entry,at}')::timestamptz, p#>>'{entry,kind}', p#>>'{entry,reference}',
            (p#>>'{entry,reverses}')::bigint)
    RETURNING id INTO v_entry;
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
    IF p ? 'link' THEN
        EXECUTE format('UPDATE %I SET entry_id = %L WHERE id = %L', p#>>'{link,table}', v_entry, p#>>'{link,id}');
    END IF;
    IF p ? 'audit' THEN  -- the columns come from the model (accounts.audit.columns): never listed here
        EXECUTE format('INSERT INTO accounts_auditentry (%s) SELECT %s FROM jsonb_populate_record(NULL::accounts_auditentry, $1) r',
                       (SELECT string_agg(format('%I', x.name), ', ') FROM jsonb_array_elements_text(p->'audit_columns') AS x(name)),
                       (SELECT string_agg(format('r.%I', x.name), ', ') FROM jsonb_array_elements_text(p->'audit_columns') AS x(name)))
        USING p->'audit' || jsonb_build_object('detail', (p#>'{audit,detail}') || jsonb_build_object('entry', v_entry));
    END IF;
    RETURN v_entry;
END
$$;
