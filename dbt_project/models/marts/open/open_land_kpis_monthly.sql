{#- Published to everyone: month and desk-level totals of the land registration dossiers, no department, desk,
    parcel or person. Small cells are withheld with secondary suppression across the levels of a month (macro
    suppress_small_cells); dossiers resolved on time are a part of those resolved, withheld with their whole
    or when the late ones are 1–4; the rate is withheld with its count. -#}
with agency_months as (
    select * from {{ ref('int_land_registration_agency_months') }}
),

level_months as (
    select
        month,
        desk_level,
        sum(dossiers_received)::integer as dossiers_received,
        sum(dossiers_resolved)::integer as dossiers_resolved,
        sum(dossiers_resolved_on_time)::integer as dossiers_resolved_on_time,
        sum(dossiers_refused)::integer as dossiers_refused
    from agency_months
    group by month, desk_level
),

suppression as (
    {{ suppress_small_cells(
        'level_months',
        group_by=['month'],
        cell_by=['desk_level'],
        measures=['dossiers_received', 'dossiers_resolved', 'dossiers_resolved_on_time', 'dossiers_refused'],
        parts={'dossiers_resolved_on_time': 'dossiers_resolved'}) }}
),

published as (
    select
        month,
        desk_level,
        case when not dossiers_received_is_suppressed then dossiers_received end as dossiers_received,
        case when not dossiers_resolved_is_suppressed then dossiers_resolved end as dossiers_resolved,
        case when not dossiers_resolved_on_time_is_suppressed then dossiers_resolved_on_time end
            as dossiers_resolved_on_time,
        case when not dossiers_resolved_on_time_is_suppressed
            then {{ safe_rate_pct('dossiers_resolved_on_time', 'dossiers_resolved') }}
        end as on_time_rate_pct,
        case when not dossiers_refused_is_suppressed then dossiers_refused end as dossiers_refused,
        (dossiers_received_is_suppressed or dossiers_resolved_is_suppressed
            or dossiers_resolved_on_time_is_suppressed or dossiers_refused_is_suppressed) as is_suppressed
    from suppression
)

select * from published
