{#- The agency directory's history as Kho saw it: a new version whenever an agency's name, level, parent or
    administrative unit changes in the source. The source states only the present, so this is the one place a
    rename is remembered. Snapshotted from staging, so that a re-sent record in another Unicode form (NFD) or
    with stray spaces is not taken for a change. -#}
{% snapshot document_agencies %}
{{
    config(
        target_schema='snapshots',
        unique_key='agency_record_code',
        strategy='check',
        check_cols=['agency_name', 'level', 'parent_agency_code', 'admin_unit_code']
    )
}}

select
    agency_record_code,
    agency_code,
    agency_name,
    level,
    parent_agency_code,
    admin_unit_code,
    valid_from,
    valid_to,
    source_updated_at,
    load_id
from {{ ref('stg_document__agencies') }}

{% endsnapshot %}
