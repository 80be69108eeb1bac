{{ config(materialized='table') }}
-- One row per owning department, month and register with every civil status count the KPI marts publish, in
-- the month of registration. The department is the province's Department of Justice (Sở Tư pháp) in force
-- that month (seed sector_agencies, sector civil_status) whose identifier shares its level-1 code (the
-- province's MX1X2) with the registering commune People's Committee's: the register carries no province code
-- of its own, and the seed keeps the mart independent of the document system.
with registrations as (
    select * from {{ ref('fct_civil_registrations') }}
),

sector_agencies as (
    select
        *,
        {{ agency_level1_code('agency_code') }} as agency_level1_code
    from {{ ref('sector_agencies') }}
    where sector = 'civil_status'
),

counts_by_agency_month as (
    select
        sector_agencies.agency_code,
        sector_agencies.agency_name,
        registrations.registered_month as month,
        registrations.register,
        count(*)::integer as registrations,
        count(*) filter (where registrations.is_first_registration)::integer as first_registrations,
        count(*) filter (where not registrations.is_first_registration)::integer as re_registrations,
        count(*) filter (where registrations.is_late)::integer as registered_late
    from registrations
    left join sector_agencies
        on registrations.registering_agency_level1_code = sector_agencies.agency_level1_code
        and registrations.registered_month
            between sector_agencies.valid_from and coalesce(sector_agencies.valid_to, 'infinity')
    group by 1, 2, 3, 4
)

select * from counts_by_agency_month
