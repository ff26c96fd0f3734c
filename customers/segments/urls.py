from django.urls import path

from customers.segments import apis

urlpatterns = [
    path("segments/", apis.SegmentListApi.as_view(), name="api-segments"),
    path("segments/<int:segment_id>/customers/", apis.SegmentCustomersApi.as_view(),
         name="api-segment-customers"),
]
