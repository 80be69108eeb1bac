with agency_months as (
    select * from {{ ref('int_document_agency_months') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

-- The directory's version that held during the month (the latest, when a code changed hands in it).
agency_names as (
    select distinct on (agency_months.agency_code, agency_months.month)
        agency_months.agency_code,
        agency_months.month,
        agencies.agency_name
    from agency_months
    inner join agencies
        on agencies.agency_code = agency_months.agency_code
        and agencies.valid_from < agency_months.month + interval '1 month'
        and (agencies.valid_to is null or agencies.valid_to >= agency_months.month)
    order by agency_months.agency_code, agency_months.month, agencies.valid_from desc
),

kpis as (
    select
        agency_months.month,
        agency_months.agency_code,
        agency_names.agency_name,
        agency_months.level,
        agency_months.outgoing_documents,
        agency_months.outgoing_sent_electronically,
        {{ safe_rate_pct('agency_months.outgoing_sent_electronically', 'agency_months.outgoing_documents') }}
            as electronic_rate_pct,
        agency_months.outgoing_e_signed,
        {{ safe_rate_pct('agency_months.outgoing_e_signed', 'agency_months.outgoing_documents') }}
            as e_signed_rate_pct,
        agency_months.incoming_documents,
        agency_months.incoming_processed_online,
        {{ safe_rate_pct('agency_months.incoming_processed_online', 'agency_months.incoming_documents') }}
            as processed_online_rate_pct
    from agency_months
    left join agency_names
        on agency_months.agency_code = agency_names.agency_code and agency_months.month = agency_names.month
)

select * from kpis
