{#- Published to everyone: month and level totals, no agency and no personal data (no signer). Small cells are
    withheld with secondary suppression across the levels of a month (macro suppress_small_cells); a part (sent
    electronically, e-signed, processed online) is withheld with its whole or when its complement is small, and
    every rate built on a withheld count is withheld. -#}
with agency_months as (
    select * from {{ ref('int_document_agency_months') }}
),

level_months as (
    select
        month,
        level,
        sum(outgoing_documents)::integer as outgoing_documents,
        sum(outgoing_sent_electronically)::integer as outgoing_sent_electronically,
        sum(outgoing_e_signed)::integer as outgoing_e_signed,
        sum(incoming_documents)::integer as incoming_documents,
        sum(incoming_processed_online)::integer as incoming_processed_online
    from agency_months
    group by month, level
),

suppression as (
    {{ suppress_small_cells(
        'level_months',
        group_by=['month'],
        cell_by=['level'],
        measures=['outgoing_documents', 'outgoing_sent_electronically', 'outgoing_e_signed',
                  'incoming_documents', 'incoming_processed_online'],
        parts={'outgoing_sent_electronically': 'outgoing_documents', 'outgoing_e_signed': 'outgoing_documents',
               'incoming_processed_online': 'incoming_documents'}) }}
),

published as (
    select
        month,
        level,
        case when not outgoing_documents_is_suppressed then outgoing_documents end as outgoing_documents,
        case when not outgoing_sent_electronically_is_suppressed then outgoing_sent_electronically end
            as outgoing_sent_electronically,
        case when not outgoing_sent_electronically_is_suppressed
            then {{ safe_rate_pct('outgoing_sent_electronically', 'outgoing_documents') }} end as electronic_rate_pct,
        case when not outgoing_e_signed_is_suppressed then outgoing_e_signed end as outgoing_e_signed,
        case when not outgoing_e_signed_is_suppressed
            then {{ safe_rate_pct('outgoing_e_signed', 'outgoing_documents') }} end as e_signed_rate_pct,
        case when not incoming_documents_is_suppressed then incoming_documents end as incoming_documents,
        case when not incoming_processed_online_is_suppressed then incoming_processed_online end
            as incoming_processed_online,
        case when not incoming_processed_online_is_suppressed
            then {{ safe_rate_pct('incoming_processed_online', 'incoming_documents') }} end
            as processed_online_rate_pct,
        (outgoing_documents_is_suppressed or outgoing_sent_electronically_is_suppressed
            or outgoing_e_signed_is_suppressed or incoming_documents_is_suppressed
            or incoming_processed_online_is_suppressed) as is_suppressed
    from suppression
)

select * from published
