{#- Each agency's own quality record, month by month, beside its source system's: what it entered that Kho loaded
    or had to refuse (and why: missing required fields), and how timely and valid the system it enters data into
    was that month. Row-level security shows an agency its own rows. -#}
with agency_months as (
    select * from {{ ref('int_agency_quality_months') }}
),

source_months as (
    select * from {{ ref('int_source_quality_months') }}
),

agency_months_with_source_scores as (
    select
        agency_months.agency_code,
        agency_months.source_name,
        agency_months.month,
        agency_months.records_loaded,
        agency_months.records_quarantined,
        agency_months.records_missing_required_fields,
        agency_months.quarantine_rate_pct,
        source_months.timeliness_pct as source_timeliness_pct,
        source_months.validity_pct as source_validity_pct
    from agency_months
    left join source_months
        on agency_months.source_name = source_months.source_name
        and agency_months.month = source_months.month
)

select * from agency_months_with_source_scores
