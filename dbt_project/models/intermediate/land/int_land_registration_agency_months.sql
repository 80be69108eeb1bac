{{ config(materialized='table') }}
-- One row per owning department, month and level of the receiving desk with every land registration count the
-- KPI marts publish: received in the month of receipt, resolved (on time or late) in the month the result was
-- returned, refused in the month the dossier was handed back. The department (seed sector_agencies, sector
-- land) is the one in force that month for the province of the parcel's commune: the unit's province on the
-- receipt date, or, for a month after that unit ended (the 2025 reorganisation), today's successor's
-- province. The desk's level is the agency directory's (dim_agencies) on the receipt date; unknown if it does
-- not list it.
with registrations as (
    select * from {{ ref('fct_land_registrations') }}
),

units as (
    select * from {{ ref('dim_admin_units') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

sector_agencies as (
    select * from {{ ref('sector_agencies') }}
    where sector = 'land'
),

registrations_described as (
    select
        registrations.dossier_code,
        registrations.received_month,
        registrations.resolved_month,
        registrations.refused_month,
        registrations.is_resolved,
        registrations.is_on_time,
        registrations.is_refused,
        registrations.province_code,
        units.valid_to as unit_valid_to,
        units.current_province_code,
        coalesce(desks.level, 'unknown') as desk_level
    from registrations
    left join units on registrations.admin_unit_version_id = units.admin_unit_version_id
    left join agencies as desks
        on {{ agency_on('registrations.receiving_agency_code', 'registrations.received_date', 'desks') }}
),

registration_events as (
    select
        *,
        received_month as month,
        'received' as event
    from registrations_described
    union all
    select
        *,
        resolved_month as month,
        case when is_on_time then 'resolved_on_time' else 'resolved_late' end as event
    from registrations_described
    where is_resolved
    union all
    select
        *,
        refused_month as month,
        'refused' as event
    from registrations_described
    where is_refused
),

events_with_owning_province as (
    select
        month,
        desk_level,
        event,
        case
            when month > unit_valid_to then current_province_code else province_code
        end as owning_province_code
    from registration_events
),

counts_by_agency_month as (
    select
        sector_agencies.agency_code,
        sector_agencies.agency_name,
        events.month,
        events.desk_level,
        count(*) filter (where events.event = 'received')::integer as dossiers_received,
        count(*) filter (
            where events.event in ('resolved_on_time', 'resolved_late')
        )::integer as dossiers_resolved,
        count(*) filter (where events.event = 'resolved_on_time')::integer as dossiers_resolved_on_time,
        count(*) filter (where events.event = 'refused')::integer as dossiers_refused
    from events_with_owning_province as events
    left join sector_agencies
        on events.owning_province_code = sector_agencies.province_code
        and events.month between sector_agencies.valid_from and coalesce(sector_agencies.valid_to, 'infinity')
    group by 1, 2, 3, 4
)

select * from counts_by_agency_month
