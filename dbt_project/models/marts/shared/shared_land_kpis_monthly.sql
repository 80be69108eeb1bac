-- One row per owning department, month and level of the receiving desk: land registration dossiers received,
-- resolved, resolved on time (and the rate), refused. Counts from int_land_registration_agency_months, the
-- same the open mart adds up.
with agency_months as (
    select * from {{ ref('int_land_registration_agency_months') }}
),

kpis as (
    select
        agency_code,
        agency_name,
        month,
        desk_level,
        dossiers_received,
        dossiers_resolved,
        dossiers_resolved_on_time,
        {{ safe_rate_pct('dossiers_resolved_on_time', 'dossiers_resolved') }} as on_time_rate_pct,
        dossiers_refused
    from agency_months
)

select * from kpis
