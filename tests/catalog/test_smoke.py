from catalog.models import DataResource
from govdata.permissions import restrict
from tests.factories import make_resource


def test_owner_liaison_sees_own_draft_and_other_department_does_not(liaison_a, liaison_b, dept_a):
    resource = make_resource(dept_a, liaison_a)
    assert list(restrict(DataResource.objects.all(), liaison_a)) == [resource]
    assert list(restrict(DataResource.objects.all(), liaison_b)) == []
