-- transfers.services.transfer_execute on PostgreSQL: the whole money movement in one round trip.
-- Mirrors the Python path (used on SQLite); both run the same tests. Raises:
--   IB001 already executed, IB002 changed since 確認, IB003 over the day's limit, IB004 insufficient funds.
-- Any RAISE rolls back everything this call did.
CREATE OR REPLACE FUNCTION ibank_transfer_execute(
    p_transfer bigint, p_contract bigint, p_digest text, p_now timestamptz, p_day date, p_day_start timestamptz,
    p_ceiling_token bigint, p_ceiling_none bigint, p_own_bank text, p_clearing bigint, p_fee_income bigint,
    p_actor text, p_ip inet, p_user_agent text
) RETURNS TABLE (status text, entry_id bigint) LANGUAGE plpgsql AS $$
DECLARE
    t transfers_transfer%ROWTYPE;
    v_status text;
    v_limit bigint;
    v_entry bigint;
    v_balance bigint;
    v_sender_kana text;
    r record;
BEGIN
    -- CONFIRMED -> DONE / ACCEPTED in one conditional UPDATE: of two callers, one claims.
    UPDATE transfers_transfer AS x
       SET status = CASE WHEN x.bank_code = p_own_bank THEN 'done' ELSE 'accepted' END, executed_at = p_now
     WHERE x.id = p_transfer AND x.contract_id = p_contract AND x.status = 'confirmed' AND x.digest = p_digest
    RETURNING x.* INTO t;
    IF NOT FOUND THEN
        SELECT x.status INTO v_status FROM transfers_transfer x WHERE x.id = p_transfer AND x.contract_id = p_contract;
        IF v_status IN ('done', 'accepted') THEN
            RAISE EXCEPTION 'transfer % already executed', p_transfer USING ERRCODE = 'IB001';
        END IF;
        RAISE EXCEPTION 'transfer % is not the one confirmed', p_transfer USING ERRCODE = 'IB002';
    END IF;
    -- The row must still produce the digest kept at 確認 (transfers.services.transfer_digest).
    IF encode(sha256(convert_to(concat_ws('|', t.contract_id, t.reference, t.from_account_id, t.bank_code,
            t.branch_code, t.payee_kind, t.payee_number, t.payee_name, coalesce(t.to_account_id::text, ''),
            t.amount, t.fee), 'UTF8')), 'hex') <> p_digest THEN
        RAISE EXCEPTION 'transfer % changed since it was confirmed', p_transfer USING ERRCODE = 'IB002';
    END IF;

    -- The day's limit: the contract's own (a pending change once in effect), under the ceiling of a token registered before today (JST).
    SELECT LEAST(CASE WHEN c.pending_daily_limit_from <= p_day THEN c.pending_daily_limit
                      ELSE c.daily_transfer_limit END,
                 CASE WHEN EXISTS (SELECT 1 FROM ibank_otp_tokenbinding b
                                    WHERE b.contract_id = c.id AND b.bound_at < p_day_start)
                      THEN p_ceiling_token ELSE p_ceiling_none END)
      INTO v_limit FROM accounts_contract c WHERE c.id = p_contract;
    INSERT INTO transfers_dailyusage AS u (contract_id, date, used)
    SELECT p_contract, p_day, t.amount WHERE t.amount <= v_limit
    ON CONFLICT (contract_id, date) DO UPDATE SET used = u.used + excluded.used
     WHERE u.used + excluded.used <= v_limit;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'over the daily limit' USING ERRCODE = 'IB003';
    END IF;

    -- The balanced entry; balances move in ascending account id (the lock order of transfers.ledger).
    SELECT a.holder_kana INTO v_sender_kana FROM accounts_account a WHERE a.id = t.from_account_id;
    INSERT INTO transfers_journalentry (at, kind, reference) VALUES (p_now, 'transfer', t.reference)
    RETURNING id INTO v_entry;
    FOR r IN
        SELECT v.account_id, v.amount, v.memo, v.counterparty FROM (VALUES
            (1, t.from_account_id, -t.amount, 'transfer_out', t.payee_name),
            (2, CASE WHEN t.status = 'done' THEN t.to_account_id ELSE p_clearing END, t.amount,
                CASE WHEN t.status = 'done' THEN 'transfer_in' ELSE 'clearing' END,
                CASE WHEN t.status = 'done' THEN v_sender_kana ELSE t.payee_name END),
            (3, t.from_account_id, -t.fee, 'fee', ''),
            (4, p_fee_income, t.fee, 'fee', v_sender_kana)
        ) AS v(n, account_id, amount, memo, counterparty)
        WHERE v.amount <> 0
        ORDER BY v.account_id, v.n
    LOOP
        UPDATE accounts_account a SET balance = a.balance + r.amount
         WHERE a.id = r.account_id AND (a.balance + r.amount >= 0 OR a.purpose <> 'customer')
        RETURNING a.balance INTO v_balance;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'insufficient funds in account %', r.account_id USING ERRCODE = 'IB004';
        END IF;
        INSERT INTO transfers_posting (entry_id, account_id, amount, balance_after, memo, counterparty)
        VALUES (v_entry, r.account_id, r.amount, v_balance, r.memo, r.counterparty);
    END LOOP;
    UPDATE transfers_transfer x SET entry_id = v_entry WHERE x.id = p_transfer;

    INSERT INTO accounts_auditentry (at, action, outcome, reason, contract_id, actor, ip, user_agent, detail)
    VALUES (p_now, 'transfer.execute', 'ok', '', p_contract, p_actor, p_ip, p_user_agent,
            jsonb_build_object('reference', t.reference, 'amount', t.amount, 'fee', t.fee, 'status', t.status,
                               'digest', p_digest, 'entry', v_entry));
    RETURN QUERY SELECT t.status::text, v_entry;
END
$$;
