with dossiers as (
    select * from {{ ref('fct_dossiers') }}
),

received_by_agency_month as (
    select
        receiving_agency_code as agency_code,
        received_month as month,
        count(*) as dossiers_received,
        count(*) filter (where channel = 'online') as dossiers_received_online
    from dossiers
    group by 1, 2
),

resolved_by_agency_month as (
    select
        receiving_agency_code as agency_code,
        resolved_month as month,
        count(*) as dossiers_resolved,
        count(*) filter (where is_on_time) as dossiers_resolved_on_time
    from dossiers
    where is_resolved
    group by 1, 2
),

agency_names as (
    select distinct on (receiving_agency_code)
        receiving_agency_code as agency_code,
        receiving_agency_name as agency_name
    from dossiers
    order by receiving_agency_code, source_updated_at desc, dossier_code desc
),

counts_by_agency_month as (
    select
        coalesce(received.agency_code, resolved.agency_code) as agency_code,
        coalesce(received.month, resolved.month) as month,
        coalesce(received.dossiers_received, 0) as dossiers_received,
        coalesce(received.dossiers_received_online, 0) as dossiers_received_online,
        coalesce(resolved.dossiers_resolved, 0) as dossiers_resolved,
        coalesce(resolved.dossiers_resolved_on_time, 0) as dossiers_resolved_on_time
    from received_by_agency_month as received
    full outer join resolved_by_agency_month as resolved
        on received.agency_code = resolved.agency_code and received.month = resolved.month
),

kpis as (
    select
        counts.month,
        counts.agency_code,
        agency_names.agency_name,
        counts.dossiers_received::integer as dossiers_received,
        counts.dossiers_received_online::integer as dossiers_received_online,
        {{ safe_rate_pct('counts.dossiers_received_online', 'counts.dossiers_received') }} as online_rate_pct,
        counts.dossiers_resolved::integer as dossiers_resolved,
        counts.dossiers_resolved_on_time::integer as dossiers_resolved_on_time,
        {{ safe_rate_pct('counts.dossiers_resolved_on_time', 'counts.dossiers_resolved') }} as on_time_rate_pct
    from counts_by_agency_month as counts
    left join agency_names on counts.agency_code = agency_names.agency_code
)

select * from kpis
