{#- Published to everyone: no personal data, and no count of 1–4 dossiers (statistical offices'
    small-cell rule). A withheld count also withholds any rate built on it, since the rate and the
    other count would give it back. Cross-row secondary suppression comes with issue 5. -#}
with kpis as (
    select * from {{ ref('shared_dossier_kpis_monthly') }}
),

small_cells_flagged as (
    select
        *,
        dossiers_received between 1 and 4 as is_received_small,
        dossiers_received_online between 1 and 4 as is_received_online_small,
        dossiers_resolved between 1 and 4 as is_resolved_small,
        dossiers_resolved_on_time between 1 and 4 as is_resolved_on_time_small
    from kpis
),

suppressed as (
    select
        month,
        agency_code,
        agency_name,
        case when not is_received_small then dossiers_received end as dossiers_received,
        case when not (is_received_small or is_received_online_small) then dossiers_received_online end
            as dossiers_received_online,
        case when not (is_received_small or is_received_online_small) then online_rate_pct end
            as online_rate_pct,
        case when not is_resolved_small then dossiers_resolved end as dossiers_resolved,
        case when not (is_resolved_small or is_resolved_on_time_small) then dossiers_resolved_on_time end
            as dossiers_resolved_on_time,
        case when not (is_resolved_small or is_resolved_on_time_small) then on_time_rate_pct end
            as on_time_rate_pct,
        is_received_small or is_received_online_small or is_resolved_small or is_resolved_on_time_small
            as is_suppressed
    from small_cells_flagged
)

select * from suppressed
