-- One row per agency, school year and level. The agency is the provincial education department (Sở Giáo dục
-- và Đào tạo) that owned the figures on the school year's opening day, from the seed sector_agencies by the
-- province code opening the school code (the source carries no agency identifier; the seed keeps the mart
-- independent of the document system).
with enrolment as (
    select * from {{ ref('fct_school_enrolment') }}
),

sector_agencies as (
    select * from {{ ref('sector_agencies') }}
    where sector = 'education'
),

level_years as (
    select
        sector_agencies.agency_code,
        sector_agencies.agency_name,
        enrolment.school_year,
        enrolment.school_level,
        count(*)::integer as schools,
        count(*) filter (where enrolment.ownership = 'public')::integer as public_schools,
        sum(enrolment.classes)::integer as classes,
        sum(enrolment.pupils)::integer as pupils,
        sum(enrolment.girls)::integer as girls,
        coalesce(sum(enrolment.pupils) filter (where enrolment.girls is not null), 0)::integer
            as pupils_with_girls_reported,
        sum(enrolment.teachers)::integer as teachers,
        coalesce(sum(enrolment.pupils) filter (where enrolment.teachers is not null), 0)::integer
            as pupils_with_teachers_reported
    from enrolment
    left join sector_agencies
        on sector_agencies.province_code = enrolment.province_code
        and enrolment.school_year_opening_date
            between sector_agencies.valid_from and coalesce(sector_agencies.valid_to, 'infinity')
    group by 1, 2, 3, 4
),

kpis as (
    select
        agency_code,
        agency_name,
        school_year,
        school_level,
        schools,
        public_schools,
        classes,
        pupils,
        girls,
        {{ safe_rate_pct('girls', 'pupils_with_girls_reported') }} as girls_share_pct,
        teachers,
        case when classes > 0 then round(1.0 * pupils / classes, 1) end as pupils_per_class,
        case when teachers > 0 then round(1.0 * pupils_with_teachers_reported / teachers, 1) end
            as pupils_per_teacher
    from level_years
)

select * from kpis
