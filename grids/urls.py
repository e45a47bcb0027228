from django.urls import path

from grids import views

app_name = "grids"
urlpatterns = [
    path("assign/<int:community>/", views.assign_page, name="assign"),
    path("coverage/<int:street_office>/", views.coverage_page, name="coverage"),
    path("board/<int:community>/", views.board_page, name="board"),
    path("board/<int:community>/board.pdf", views.board_download, {"fmt": "pdf"}, name="board-pdf"),
    path("board/<int:community>/board.png", views.board_download, {"fmt": "png"}, name="board-png"),
    path(
        "board/<int:community>/render/<str:key>.<str:fmt>",
        views.board_file,
        name="board-render",
    ),
]
