with calendar as (
    select * from {{ ref('vn_calendar') }}
),

days_with_labels as (
    select
        date_day,
        year,
        quarter,
        month,
        day_of_month,
        iso_day_of_week,
        (date_trunc('month', date_day))::date as month_start,
        to_char(date_day, 'YYYY-MM') as year_month,
        'Tháng ' || month || '/' || year as month_label_vi,
        is_weekend,
        is_holiday,
        nullif(holiday_name_vi, '') as holiday_name_vi,
        nullif(holiday_name_en, '') as holiday_name_en,
        is_working_day,
        working_day_number
    from calendar
)

select * from days_with_labels
