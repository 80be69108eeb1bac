{#- Published to everyone: births, marriages and deaths registered in the province each month, no department,
    commune or person. Small cells are withheld with secondary suppression across the registers of a month
    (macro suppress_small_cells): first registrations are a part of all registrations (their complement, the
    re-registrations, must not be 1–4 either), late ones a part of first registrations (the on-time ones,
    their complement, likewise); the on-time rate is withheld with the late count it is built on. -#}
with agency_months as (
    select * from {{ ref('int_civil_registration_agency_months') }}
),

register_months as (
    select
        month,
        register,
        sum(registrations)::integer as registrations,
        sum(first_registrations)::integer as first_registrations,
        sum(registered_late)::integer as registered_late
    from agency_months
    group by month, register
),

suppression as (
    {{ suppress_small_cells(
        'register_months',
        group_by=['month'],
        cell_by=['register'],
        measures=['registrations', 'first_registrations', 'registered_late'],
        parts={'first_registrations': 'registrations', 'registered_late': 'first_registrations'}) }}
),

published as (
    select
        month,
        register,
        case when not registrations_is_suppressed then registrations end as registrations,
        case when not first_registrations_is_suppressed then first_registrations end as first_registrations,
        case when not registered_late_is_suppressed then registered_late end as registered_late,
        case when not registered_late_is_suppressed and register <> 'marriage'
            then {{ safe_rate_pct('(first_registrations - registered_late)', 'first_registrations') }}
        end as on_time_rate_pct,
        (registrations_is_suppressed or first_registrations_is_suppressed or registered_late_is_suppressed)
            as is_suppressed
    from suppression
)

select * from published
