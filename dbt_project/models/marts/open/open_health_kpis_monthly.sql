{#- Published to everyone: month and facility-tier totals of the health system's visits, no facility, agency
    or person (the source is aggregated already). Small cells are withheld with secondary suppression across
    the tiers of a month (macro suppress_small_cells); insured visits and referrals are parts of visits,
    withheld with their whole or when their complement is small; every rate built on a withheld count is
    withheld. -#}
with visits as (
    select * from {{ ref('fct_health_visits') }}
),

level_months as (
    select
        visit_month as month,
        facility_level,
        count(distinct visit_date)::integer as days_reported,
        sum(visits)::integer as visits,
        sum(insured_visits)::integer as insured_visits,
        coalesce(sum(visits) filter (where insured_visits is not null), 0)::integer
            as visits_with_insurance_reported,
        sum(inpatient_admissions)::integer as inpatient_admissions,
        sum(referrals)::integer as referrals
    from visits
    group by visit_month, facility_level
),

suppression as (
    {{ suppress_small_cells(
        'level_months',
        group_by=['month'],
        cell_by=['facility_level'],
        measures=['visits', 'insured_visits', 'inpatient_admissions', 'referrals'],
        parts={'insured_visits': 'visits', 'referrals': 'visits'}) }}
),

published as (
    select
        month,
        facility_level,
        -- Days, not people: never withheld. A month's visits cover only the days the system delivered.
        days_reported,
        case when not visits_is_suppressed then visits end as visits,
        case when not insured_visits_is_suppressed then insured_visits end as insured_visits,
        case when not insured_visits_is_suppressed
            then {{ safe_rate_pct('insured_visits', 'visits_with_insurance_reported') }} end
            as insured_rate_pct,
        case when not inpatient_admissions_is_suppressed then inpatient_admissions end
            as inpatient_admissions,
        case when not referrals_is_suppressed then referrals end as referrals,
        case when not referrals_is_suppressed then {{ safe_rate_pct('referrals', 'visits') }} end
            as referral_rate_pct,
        (visits_is_suppressed or insured_visits_is_suppressed or inpatient_admissions_is_suppressed
            or referrals_is_suppressed) as is_suppressed
    from suppression
)

select * from published
