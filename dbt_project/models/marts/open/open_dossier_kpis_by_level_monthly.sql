{#- Published to everyone: the province's dossier indicators by level (province, district, commune) and month,
    the figures a province reports each year. Each row is the total of open_dossier_kpis_monthly's agencies of
    that level and month; small cells are withheld with secondary suppression across the levels of a month. -#}
with agency_months as (
    select * from {{ ref('int_dossier_agency_months') }}
),

level_months as (
    select
        month,
        agency_level,
        count(*)::integer as agencies,
        sum(dossiers_received)::integer as dossiers_received,
        sum(dossiers_received_online)::integer as dossiers_received_online,
        sum(dossiers_received_postal)::integer as dossiers_received_postal,
        sum(dossiers_resolved)::integer as dossiers_resolved,
        sum(dossiers_resolved_on_time)::integer as dossiers_resolved_on_time,
        sum(dossiers_with_fee)::integer as dossiers_with_fee,
        sum(dossiers_paid_online)::integer as dossiers_paid_online,
        sum(dossiers_overdue_in_progress)::integer as dossiers_overdue_in_progress
    from agency_months
    group by month, agency_level
),

suppression as (
    {{ suppress_small_cells(
        'level_months',
        group_by=['month'],
        cell_by=['agency_level'],
        measures=['dossiers_received', 'dossiers_received_online', 'dossiers_received_postal',
                  'dossiers_resolved', 'dossiers_resolved_on_time', 'dossiers_with_fee', 'dossiers_paid_online',
                  'dossiers_overdue_in_progress'],
        parts={'dossiers_received_online': 'dossiers_received', 'dossiers_received_postal': 'dossiers_received',
               'dossiers_resolved_on_time': 'dossiers_resolved', 'dossiers_paid_online': 'dossiers_with_fee'}) }}
),

published as (
    select
        month,
        agency_level,
        agencies,
        case when not dossiers_received_is_suppressed then dossiers_received end as dossiers_received,
        case when not dossiers_received_online_is_suppressed then dossiers_received_online end
            as dossiers_received_online,
        case when not dossiers_received_postal_is_suppressed then dossiers_received_postal end
            as dossiers_received_postal,
        case when not dossiers_received_online_is_suppressed
            then {{ safe_rate_pct('dossiers_received_online', 'dossiers_received') }} end as online_rate_pct,
        case when not dossiers_resolved_is_suppressed then dossiers_resolved end as dossiers_resolved,
        case when not dossiers_resolved_on_time_is_suppressed then dossiers_resolved_on_time end
            as dossiers_resolved_on_time,
        case when not dossiers_resolved_on_time_is_suppressed
            then {{ safe_rate_pct('dossiers_resolved_on_time', 'dossiers_resolved') }} end as on_time_rate_pct,
        case when not dossiers_with_fee_is_suppressed then dossiers_with_fee end as dossiers_with_fee,
        case when not dossiers_paid_online_is_suppressed then dossiers_paid_online end as dossiers_paid_online,
        case when not dossiers_paid_online_is_suppressed
            then {{ safe_rate_pct('dossiers_paid_online', 'dossiers_with_fee') }} end as online_payment_rate_pct,
        case when not dossiers_overdue_in_progress_is_suppressed then dossiers_overdue_in_progress end
            as dossiers_overdue_in_progress,
        (dossiers_received_is_suppressed or dossiers_received_online_is_suppressed
            or dossiers_received_postal_is_suppressed or dossiers_resolved_is_suppressed
            or dossiers_resolved_on_time_is_suppressed or dossiers_with_fee_is_suppressed
            or dossiers_paid_online_is_suppressed or dossiers_overdue_in_progress_is_suppressed) as is_suppressed
    from suppression
)

select * from published
