-- One row per agency, month and facility tier. The agency is the provincial health department (Sở Y tế) that
-- owned the figures that month, from the seed sector_agencies by the province code opening the facility code:
-- the health source carries no agency identifier, and a seed keeps the mart independent of the document
-- system.
with visits as (
    select * from {{ ref('fct_health_visits') }}
),

sector_agencies as (
    select * from {{ ref('sector_agencies') }}
    where sector = 'health'
),

level_months as (
    select
        sector_agencies.agency_code,
        sector_agencies.agency_name,
        visits.visit_month as month,
        visits.facility_level,
        count(distinct visits.facility_code)::integer as facilities_reporting,
        count(distinct visits.visit_date)::integer as days_reported,
        sum(visits.visits)::integer as visits,
        sum(visits.insured_visits)::integer as insured_visits,
        coalesce(sum(visits.visits) filter (where visits.insured_visits is not null), 0)::integer
            as visits_with_insurance_reported,
        sum(visits.inpatient_admissions)::integer as inpatient_admissions,
        sum(visits.referrals)::integer as referrals
    from visits
    left join sector_agencies
        on sector_agencies.province_code = visits.province_code
        and visits.visit_month
            between sector_agencies.valid_from and coalesce(sector_agencies.valid_to, 'infinity')
    group by 1, 2, 3, 4
),

kpis as (
    select
        agency_code,
        agency_name,
        month,
        facility_level,
        facilities_reporting,
        days_reported,
        visits,
        insured_visits,
        visits_with_insurance_reported,
        {{ safe_rate_pct('insured_visits', 'visits_with_insurance_reported') }} as insured_rate_pct,
        inpatient_admissions,
        referrals,
        {{ safe_rate_pct('referrals', 'visits') }} as referral_rate_pct
    from level_months
)

select * from kpis
