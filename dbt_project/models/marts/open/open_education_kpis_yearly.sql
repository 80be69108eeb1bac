{#- Published to everyone: school-year and level totals of schools, classes, pupils, girls and teachers, no
    school and no person. Small cells are withheld with secondary suppression across the levels of a school
    year (macro suppress_small_cells); girls are a part of pupils, withheld with their whole or when the boys
    are 1–4; every ratio built on a withheld count is withheld. -#}
with enrolment as (
    select * from {{ ref('fct_school_enrolment') }}
),

level_years as (
    select
        school_year,
        school_level,
        count(*)::integer as schools,
        sum(classes)::integer as classes,
        sum(pupils)::integer as pupils,
        sum(girls)::integer as girls,
        coalesce(sum(pupils) filter (where girls is not null), 0)::integer as pupils_with_girls_reported,
        sum(teachers)::integer as teachers,
        coalesce(sum(pupils) filter (where teachers is not null), 0)::integer as pupils_with_teachers_reported
    from enrolment
    group by school_year, school_level
),

suppression as (
    {{ suppress_small_cells(
        'level_years',
        group_by=['school_year'],
        cell_by=['school_level'],
        measures=['schools', 'classes', 'pupils', 'girls', 'teachers'],
        parts={'girls': 'pupils'}) }}
),

published as (
    select
        school_year,
        school_level,
        case when not schools_is_suppressed then schools end as schools,
        case when not classes_is_suppressed then classes end as classes,
        case when not pupils_is_suppressed then pupils end as pupils,
        case when not girls_is_suppressed then girls end as girls,
        case when not girls_is_suppressed
            then {{ safe_rate_pct('girls', 'pupils_with_girls_reported') }} end as girls_share_pct,
        case when not teachers_is_suppressed then teachers end as teachers,
        case when not (pupils_is_suppressed or classes_is_suppressed) and classes > 0
            then round(1.0 * pupils / classes, 1) end as pupils_per_class,
        case when not (pupils_is_suppressed or teachers_is_suppressed) and teachers > 0
            then round(1.0 * pupils_with_teachers_reported / teachers, 1) end as pupils_per_teacher,
        (schools_is_suppressed or classes_is_suppressed or pupils_is_suppressed or girls_is_suppressed
            or teachers_is_suppressed) as is_suppressed
    from suppression
)

select * from published
