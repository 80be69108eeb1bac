{{ config(materialized='table') }}
-- One row per receiving agency and month: the dossier counts of int_dossier_agency_month_counts, with the
-- agency's name and level in the agency directory that month. Rebuilt whole on each run (a few tens of
-- thousands of rows): a change in the directory, or a newer name in the dossier system, reaches every month
-- it concerns.
with counts as (
    select * from {{ ref('int_dossier_agency_month_counts') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

dossiers as (
    select * from {{ ref('fct_dossiers') }}
),

agency_months as (
    select agency_code, month from counts
),

-- The agency directory's version that held during the month (the latest, when a code changed hands in it).
agency_of_month as (
    select distinct on (agency_months.agency_code, agency_months.month)
        agency_months.agency_code,
        agency_months.month,
        agencies.agency_name,
        agencies.level
    from agency_months
    inner join agencies
        on agencies.agency_code = agency_months.agency_code
        and agencies.valid_from < agency_months.month + interval '1 month'
        and (agencies.valid_to is null or agencies.valid_to >= agency_months.month)
    order by agency_months.agency_code, agency_months.month, agencies.valid_from desc
),

-- The dossier system's own name for an agency the directory does not list: the latest, one index probe per
-- agency.
names_in_dossiers as (
    select
        agency_codes.agency_code,
        latest_name.agency_name
    from (select distinct agency_code from counts) as agency_codes
    cross join lateral (
        select dossiers.receiving_agency_name as agency_name
        from dossiers
        where dossiers.receiving_agency_code = agency_codes.agency_code
        order by dossiers.source_updated_at desc, dossiers.dossier_code desc
        limit 1
    ) as latest_name
),

agency_months_described as (
    select
        counts.agency_code,
        counts.month,
        coalesce(agency_of_month.agency_name, names_in_dossiers.agency_name) as agency_name,
        coalesce(agency_of_month.level, 'unknown') as agency_level,
        counts.dossiers_received,
        counts.dossiers_received_online,
        counts.dossiers_received_direct,
        counts.dossiers_received_postal,
        counts.dossiers_with_fee,
        counts.dossiers_paid_online,
        counts.dossiers_resolved,
        counts.dossiers_resolved_on_time,
        counts.dossiers_overdue_in_progress
    from counts
    left join agency_of_month
        on counts.agency_code = agency_of_month.agency_code and counts.month = agency_of_month.month
    left join names_in_dossiers on counts.agency_code = names_in_dossiers.agency_code
)

select * from agency_months_described
