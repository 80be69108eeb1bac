{#- Published to everyone: the province's public services by online service level at the end of each year (at the
    data's last update for the current year), and how many of them received any dossier online in the year. A
    catalogue of services, not of people: nothing here is a small count about persons, so nothing is withheld. -#}
with service_levels as (
    select * from {{ ref('int_procedure_service_levels') }}
),

-- Not materialized: read twice, each time through an index.
dossiers as not materialized (
    select * from {{ ref('fct_dossiers') }}
),

data_as_of as (
    select (max(source_updated_at) at time zone 'Asia/Ho_Chi_Minh')::date as as_of_date from dossiers
),

years as (
    select
        year::integer as year,
        least(make_date(year::integer, 12, 31), data_as_of.as_of_date) as counted_on
    from data_as_of
    cross join lateral generate_series(
        (select extract(year from min(valid_from)) from service_levels),
        extract(year from data_as_of.as_of_date)
    ) as year
),

levels_at_year_end as (
    select
        years.year,
        service_levels.procedure_code,
        service_levels.service_level
    from years
    inner join service_levels
        on service_levels.valid_from <= years.counted_on
        and (service_levels.valid_to is null or service_levels.valid_to >= years.counted_on)
),

-- Whether a service received any dossier online in the year: one probe of fct_dossiers' index on
-- (procedure_code, channel, received_date) per service and year, not a pass over every dossier.
services_by_year_and_level as (
    select
        levels_at_year_end.year,
        levels_at_year_end.service_level,
        count(*)::integer as services,
        count(*) filter (
            where exists (
                select from dossiers
                where dossiers.procedure_code = levels_at_year_end.procedure_code
                    and dossiers.channel = 'online'
                    and dossiers.received_date >= make_date(levels_at_year_end.year, 1, 1)
                    and dossiers.received_date < make_date(levels_at_year_end.year + 1, 1, 1)
            )
        )::integer as services_with_online_dossiers
    from levels_at_year_end
    group by levels_at_year_end.year, levels_at_year_end.service_level
),

shares as (
    select
        services_by_year_and_level.year,
        services_by_year_and_level.service_level,
        services_by_year_and_level.services,
        {{ safe_rate_pct('services_by_year_and_level.services',
                         'sum(services_by_year_and_level.services) over (partition by services_by_year_and_level.year)') }}
            as share_of_services_pct,
        services_by_year_and_level.services_with_online_dossiers,
        {{ safe_rate_pct('services_by_year_and_level.services_with_online_dossiers',
                         'services_by_year_and_level.services') }} as with_online_dossiers_pct,
        years.counted_on
    from services_by_year_and_level
    inner join years on services_by_year_and_level.year = years.year
)

select * from shares
