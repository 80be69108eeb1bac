{#- Published to everyone: no personal data (month, level and counts only: no agency, no signer), and no
    count of 1–4 documents (statistical offices' small-cell rule). A withheld count also withholds every rate
    built on it, as numerator or denominator, since the rate and the other count would give it back; and, as in
    open_dossier_kpis_monthly, a part (sent electronically, e-signed, processed online) is withheld with its
    whole, of which it is at most 4 then. -#}
with kpis as (
    select * from {{ ref('shared_document_kpis_monthly') }}
),

small_cells_flagged as (
    select
        *,
        outgoing_documents between 1 and 4 as is_outgoing_small,
        outgoing_sent_electronically between 1 and 4 as is_sent_electronically_small,
        outgoing_e_signed between 1 and 4 as is_e_signed_small,
        incoming_documents between 1 and 4 as is_incoming_small,
        incoming_processed_online between 1 and 4 as is_processed_online_small
    from kpis
),

suppressed as (
    select
        month,
        level,
        case when not is_outgoing_small then outgoing_documents end as outgoing_documents,
        case when not (is_outgoing_small or is_sent_electronically_small) then outgoing_sent_electronically end
            as outgoing_sent_electronically,
        case when not (is_outgoing_small or is_sent_electronically_small) then electronic_rate_pct end
            as electronic_rate_pct,
        case when not (is_outgoing_small or is_e_signed_small) then outgoing_e_signed end as outgoing_e_signed,
        case when not (is_outgoing_small or is_e_signed_small) then e_signed_rate_pct end as e_signed_rate_pct,
        case when not is_incoming_small then incoming_documents end as incoming_documents,
        case when not (is_incoming_small or is_processed_online_small) then incoming_processed_online end
            as incoming_processed_online,
        case when not (is_incoming_small or is_processed_online_small) then processed_online_rate_pct end
            as processed_online_rate_pct,
        is_outgoing_small or is_sent_electronically_small or is_e_signed_small or is_incoming_small
        or is_processed_online_small as is_suppressed
    from small_cells_flagged
)

select * from suppressed
