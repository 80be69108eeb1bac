{#- One row per land registration dossier, its latest version. The land system changes a dossier in place
    (status, result date) and Kho reads it again when its updated_at moves, so each incremental build merges
    the dossiers written by loads newer than the table's last one on dossier_code: a late update replaces the
    row a full rebuild would make. The parcel's commune is joined to the administrative unit valid on the
    receipt date (macro admin_unit_on), so the dossier can be reported by the units of its day or by today's.
    -#}
{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with registrations as (
    select * from {{ ref('stg_land__registrations') }}
    {% if is_incremental() %}
    -- Every raw row a load inserted or changed carries that load's id: newer ids are exactly the new
    -- dossiers, the late updates and the replays since the last build.
    where load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {% endif %}
),

units as (
    select * from {{ ref('dim_admin_units') }}
),

registrations_with_outcome as (
    select
        registrations.dossier_code,
        registrations.procedure_name,
        registrations.receiving_agency_code,
        registrations.commune_code,
        units.admin_unit_version_id,
        units.province_code,
        registrations.area_m2,
        registrations.land_use_codes,
        registrations.received_date,
        (date_trunc('month', registrations.received_date))::date as received_month,
        registrations.due_date,
        registrations.returned_date,
        registrations.status_code,
        registrations.status,
        -- Resolved: the result was handed back (6). A result ready but not collected (5) is not resolved yet.
        registrations.status_code = 6 and registrations.returned_date is not null as is_resolved,
        case
            when registrations.status_code = 6 and registrations.returned_date is not null
                then registrations.due_date is null or registrations.returned_date <= registrations.due_date
        end as is_on_time,
        case
            when registrations.status_code = 6 and registrations.returned_date is not null
                then (date_trunc('month', registrations.returned_date))::date
        end as resolved_month,
        registrations.status_code = 7 and registrations.returned_date is not null as is_refused,
        case
            when registrations.status_code = 7 and registrations.returned_date is not null
                then (date_trunc('month', registrations.returned_date))::date
        end as refused_month,
        registrations.source_updated_at,
        registrations.load_id
    from registrations
    left join units
        on {{ admin_unit_on('registrations.commune_code', 'registrations.received_date') }}
)

select * from registrations_with_outcome
