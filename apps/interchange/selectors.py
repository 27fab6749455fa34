from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.interchange.models import CutImport
from apps.production.models import Project


def cut_imports_of_project(project: Project) -> QuerySet[CutImport]:
    return CutImport.objects.filter(project=project)


def access_cut_import_by_id(project: Project, cut_import_id: int) -> CutImport:
    found = CutImport.objects.filter(project=project, pk=cut_import_id).first()
    if found is None:
        raise NotFound("Cut import not found.")
    return found
