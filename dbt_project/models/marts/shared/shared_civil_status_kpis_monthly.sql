-- One row per owning department (Sở Tư pháp), month and register: births, marriages and deaths registered, of
-- which first registrations, re-registrations and late ones, and the on-time rate (births and deaths only:
-- marriage registration has no time limit). Counts from int_civil_registration_agency_months, the same the
-- open mart adds up.
with agency_months as (
    select * from {{ ref('int_civil_registration_agency_months') }}
),

kpis as (
    select
        agency_code,
        agency_name,
        month,
        register,
        registrations,
        first_registrations,
        re_registrations,
        registered_late,
        case when register <> 'marriage'
            then {{ safe_rate_pct('(first_registrations - registered_late)', 'first_registrations') }}
        end as on_time_rate_pct
    from agency_months
)

select * from kpis
