{#- Published to everyone: counts by agency and month, no personal data. Small cells are withheld with secondary
    suppression (macro suppress_small_cells): the cells of a group are the agencies of one level in one month,
    whose totals open_dossier_kpis_by_level_monthly publishes. A rate built on a withheld count is withheld. -#}
with agency_months as (
    select * from {{ ref('int_dossier_agency_months') }}
),

level_months as (
    select * from {{ ref('open_dossier_kpis_by_level_monthly') }}
),

-- A level's total withheld in the level mart withholds its agencies' cells too: they would add up to it.
agency_months_with_level_suppression as (
    select
        agency_months.*,
        level_months.dossiers_received is null as level_dossiers_received_withheld,
        level_months.dossiers_received_online is null as level_dossiers_received_online_withheld,
        level_months.dossiers_received_postal is null as level_dossiers_received_postal_withheld,
        level_months.dossiers_resolved is null as level_dossiers_resolved_withheld,
        level_months.dossiers_resolved_on_time is null as level_dossiers_resolved_on_time_withheld,
        level_months.dossiers_with_fee is null as level_dossiers_with_fee_withheld,
        level_months.dossiers_paid_online is null as level_dossiers_paid_online_withheld,
        level_months.dossiers_overdue_in_progress is null as level_dossiers_overdue_in_progress_withheld
    from agency_months
    inner join level_months
        on agency_months.month = level_months.month and agency_months.agency_level = level_months.agency_level
),

suppression as (
    {{ suppress_small_cells(
        'agency_months_with_level_suppression',
        group_by=['month', 'agency_level'],
        cell_by=['agency_code'],
        measures=['dossiers_received', 'dossiers_received_online', 'dossiers_received_postal',
                  'dossiers_resolved', 'dossiers_resolved_on_time', 'dossiers_with_fee', 'dossiers_paid_online',
                  'dossiers_overdue_in_progress'],
        parts={'dossiers_received_online': 'dossiers_received', 'dossiers_received_postal': 'dossiers_received',
               'dossiers_resolved_on_time': 'dossiers_resolved', 'dossiers_paid_online': 'dossiers_with_fee'},
        withheld_if={
            'dossiers_received': 'level_dossiers_received_withheld',
            'dossiers_received_online': 'level_dossiers_received_online_withheld',
            'dossiers_received_postal': 'level_dossiers_received_postal_withheld',
            'dossiers_resolved': 'level_dossiers_resolved_withheld',
            'dossiers_resolved_on_time': 'level_dossiers_resolved_on_time_withheld',
            'dossiers_with_fee': 'level_dossiers_with_fee_withheld',
            'dossiers_paid_online': 'level_dossiers_paid_online_withheld',
            'dossiers_overdue_in_progress': 'level_dossiers_overdue_in_progress_withheld'
        }) }}
),

published as (
    select
        month,
        agency_code,
        agency_name,
        agency_level,
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
