{#- One row per source system, agency and month: the records an agency entered that Kho loaded, and those it had
    to refuse, where a record names its agency (dossiers and their steps by the receiving agency, documents by the
    issuing or receiving agency). The month is the load's: an agency's record of what it sent and when. -#}
with loads as (
    select load_id, load_month from {{ ref('stg_kho_ingest__load_log') }}
),

quarantined as (
    select * from {{ ref('stg_kho_quarantine__records') }}
    where agency_code is not null
),

records_by_agency as (
    select 'dossier' as source_name, receiving_agency_code as agency_code, load_id
    from {{ ref('stg_dossier__dossiers') }}
    union all
    select 'document', issuing_agency_code, load_id
    from {{ ref('stg_document__outgoing_documents') }}
    union all
    select 'document', receiving_agency_code, load_id
    from {{ ref('stg_document__incoming_documents') }}
),

loaded as (
    select
        records_by_agency.source_name,
        records_by_agency.agency_code,
        loads.load_month as month,
        count(*) as records_loaded
    from records_by_agency
    inner join loads on records_by_agency.load_id = loads.load_id
    where records_by_agency.agency_code is not null
    group by 1, 2, 3
),

refused as (
    select
        source_name,
        agency_code,
        quarantined_month as month,
        count(*) as records_quarantined,
        count(*) filter (where is_missing_required_field) as records_missing_required_fields
    from quarantined
    group by 1, 2, 3
),

agency_months as (
    select
        coalesce(loaded.source_name, refused.source_name) as source_name,
        coalesce(loaded.agency_code, refused.agency_code) as agency_code,
        coalesce(loaded.month, refused.month) as month,
        coalesce(loaded.records_loaded, 0) as records_loaded,
        coalesce(refused.records_quarantined, 0) as records_quarantined,
        coalesce(refused.records_missing_required_fields, 0) as records_missing_required_fields
    from loaded
    full outer join refused
        on loaded.source_name = refused.source_name
        and loaded.agency_code = refused.agency_code
        and loaded.month = refused.month
)

select
    *,
    {{ safe_rate_pct('records_quarantined', '(records_loaded + records_quarantined)') }} as quarantine_rate_pct
from agency_months
