"""Object permissions: grants follow ownership, and `restrict` / `can` answer for every role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from guardian.utils import get_group_obj_perms_model

from catalog import services
from catalog.choices import ResourceStatus
from catalog.models import DataItem, DataResource, Department, Duty, InformationSystem, SourceAssignment
from govdata.permissions import can, restrict
from govdata.roles import Role
from tests.factories import make_duty, make_element, make_published_resource, make_resource, make_system, make_user

pytestmark = pytest.mark.django_db


def granted_codenames(obj, department: Department) -> set[str]:
    model = get_group_obj_perms_model(type(obj))
    return set(
        model.objects.filter(content_object=obj, group=department.liaison_group).values_list(
            "permission__codename", flat=True
        )
    )


def make_claim(department, liaison):
    return services.source_claim(
        element=make_element(), department=department, actor=liaison, legal_basis="《居民身份证法》"
    )


def fresh(user):
    """The same user without the role and permission caches of earlier checks (a new request)."""
    return type(user).objects.get(pk=user.pk)


# --- Grants are created with the object -------------------------------------------------------


def test_new_resource_is_granted_to_its_departments_liaisons(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    assert granted_codenames(resource, dept_a) == {"view_dataresource", "change_dataresource"}


def test_new_items_are_granted_to_their_departments_liaisons(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    assert [granted_codenames(i, dept_a) for i in resource.items.all()] == [
        {"view_dataitem", "change_dataitem", "delete_dataitem"}
    ] * 2


def test_item_added_in_a_later_edit_is_granted(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=1)
    services.resource_save(
        resource=resource, actor=liaison_a, items=[*resource.items.all(), DataItem(code="NEW", name="新字段")]
    )
    assert granted_codenames(resource.items.get(code="NEW"), dept_a) == {
        "view_dataitem",
        "change_dataitem",
        "delete_dataitem",
    }


def test_new_duty_is_granted_to_its_departments_liaisons(dept_a, liaison_a):
    assert granted_codenames(make_duty(dept_a, liaison_a), dept_a) == {"view_duty", "change_duty"}


def test_new_system_is_granted_to_its_departments_liaisons(dept_a, liaison_a):
    assert granted_codenames(make_system(dept_a, liaison_a), dept_a) == {
        "view_informationsystem",
        "change_informationsystem",
    }


def test_new_claim_is_granted_to_its_departments_liaisons(dept_a, liaison_a):
    assert granted_codenames(make_claim(dept_a, liaison_a), dept_a) == {
        "view_sourceassignment",
        "change_sourceassignment",
    }


def test_new_object_is_not_granted_to_another_department(dept_a, dept_b, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    assert granted_codenames(resource, dept_b) == set()


# --- Grants move with ownership -----------------------------------------------------------------


def test_moved_resource_grants_move_to_the_new_department(dept_a, dept_b, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a)
    resource.department = dept_b
    services.resource_save(resource=resource, actor=officer, reason="职能调整")
    assert (granted_codenames(resource, dept_a), granted_codenames(resource, dept_b)) == (
        set(),
        {"view_dataresource", "change_dataresource"},
    )


def test_moved_resource_takes_its_items_grants_along(dept_a, dept_b, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a, items=2)
    resource.department = dept_b
    services.resource_save(resource=resource, actor=officer, reason="职能调整")
    items = list(resource.items.all())
    assert [granted_codenames(i, dept_a) for i in items] == [set(), set()]
    assert [granted_codenames(i, dept_b) for i in items] == [
        {"view_dataitem", "change_dataitem", "delete_dataitem"}
    ] * 2


def test_moved_resource_is_no_longer_visible_to_the_old_departments_liaison(dept_a, dept_b, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a)
    resource.department = dept_b
    services.resource_save(resource=resource, actor=officer, reason="职能调整")
    assert not can(fresh(liaison_a), "view", resource)


def test_moved_resource_is_editable_by_the_new_departments_liaison(dept_a, dept_b, liaison_a, liaison_b, officer):
    resource = make_resource(dept_a, liaison_a)
    resource.department = dept_b
    services.resource_save(resource=resource, actor=officer, reason="职能调整")
    assert can(liaison_b, "change", resource)


def test_moved_duty_grants_move_to_the_new_department(dept_a, dept_b, liaison_a, officer):
    duty = make_duty(dept_a, liaison_a)
    duty.department = dept_b
    services.duty_save(duty=duty, actor=officer, reason="职能调整")
    assert (granted_codenames(duty, dept_a), granted_codenames(duty, dept_b)) == (set(), {"view_duty", "change_duty"})


def test_moved_system_grants_move_to_the_new_department(dept_a, dept_b, liaison_a, officer):
    system = make_system(dept_a, liaison_a)
    system.department = dept_b
    services.system_save(system=system, actor=officer, reason="职能调整")
    assert (granted_codenames(system, dept_a), granted_codenames(system, dept_b)) == (
        set(),
        {"view_informationsystem", "change_informationsystem"},
    )


# --- Users joining and leaving departments ------------------------------------------------------


def test_liaison_joining_a_department_gains_its_objects(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    newcomer = make_user("newcomer", Role.LIAISON)
    services.user_set_department(user=newcomer, department=dept_a, actor=None)
    assert can(fresh(newcomer), "change", resource)


def test_liaison_changing_department_loses_the_old_departments_objects(dept_a, dept_b, liaison_a):
    make_resource(dept_a, liaison_a)
    services.user_set_department(user=liaison_a, department=dept_b, actor=None)
    assert list(restrict(DataResource.objects.all(), fresh(liaison_a))) == []


def test_liaison_changing_department_gains_the_new_departments_objects(dept_a, dept_b, liaison_a, liaison_b):
    resource_b = make_resource(dept_b, liaison_b)
    services.user_set_department(user=liaison_a, department=dept_b, actor=None)
    assert list(restrict(DataResource.objects.all(), fresh(liaison_a))) == [resource_b]


def test_liaison_leaving_all_departments_keeps_no_liaison_group(dept_a, liaison_a):
    services.user_set_department(user=liaison_a, department=None, actor=None)
    assert not liaison_a.groups.filter(department__isnull=False).exists()


def test_user_without_the_liaison_role_gets_no_department_grants(dept_a, liaison_a):
    make_resource(dept_a, liaison_a)
    clerk = make_user("clerk")
    services.user_set_department(user=clerk, department=dept_a, actor=None)
    assert not clerk.groups.exists()


# --- restrict() and can() for each kind of user --------------------------------------------------


@pytest.fixture
def resources(dept_a, dept_b, liaison_a, liaison_b):
    """One draft per department."""
    return {"a": make_resource(dept_a, liaison_a), "b": make_resource(dept_b, liaison_b)}


@pytest.fixture
def nobody(dept_a):
    return make_user("nobody", department=dept_a)


def visible(user, action="view", **kwargs):
    return set(restrict(DataResource.objects.all(), user, action, **kwargs))


@pytest.mark.parametrize("action", ["view", "change"])
def test_officer_may_act_on_every_resource(officer, resources, action):
    assert visible(officer, action) == set(resources.values())


@pytest.mark.parametrize("action", ["view", "change"])
def test_officer_can_act_on_another_departments_draft(officer, resources, action):
    assert can(officer, action, resources["b"])


def test_auditor_sees_every_resource(auditor, resources):
    assert visible(auditor) == set(resources.values())


def test_auditor_can_view_any_resource(auditor, resources):
    assert can(auditor, "view", resources["a"])


@pytest.mark.parametrize("action", ["add", "change", "delete"])
def test_auditor_may_change_nothing(auditor, resources, action):
    assert visible(auditor, action) == set()


@pytest.mark.parametrize("action", ["change", "delete"])
def test_auditor_cannot_change_a_resource(auditor, resources, action):
    assert not can(auditor, action, resources["a"])


@pytest.mark.parametrize("action", ["view", "change"])
def test_liaison_may_act_on_own_departments_resources_only(liaison_a, resources, action):
    assert visible(liaison_a, action) == {resources["a"]}


@pytest.mark.parametrize("action", ["view", "change"])
def test_liaison_can_act_on_own_resource(liaison_a, resources, action):
    assert can(liaison_a, action, resources["a"])


@pytest.mark.parametrize("action", ["view", "change"])
def test_liaison_cannot_act_on_another_departments_resource(liaison_b, resources, action):
    assert not can(liaison_b, action, resources["a"])


def test_liaison_cannot_delete_a_resource_even_of_own_department(liaison_a, resources):
    assert not can(liaison_a, "delete", resources["a"])


@pytest.mark.parametrize(
    "model", [DataItem, Duty, InformationSystem, SourceAssignment], ids=lambda m: m._meta.model_name
)
def test_liaison_sees_nothing_of_another_department(dept_a, liaison_a, liaison_b, model):
    resource = make_resource(dept_a, liaison_a)
    make_duty(dept_a, liaison_a)
    make_system(dept_a, liaison_a)
    make_claim(dept_a, liaison_a)
    assert model.objects.exists() and resource.items.exists()
    assert list(restrict(model.objects.all(), liaison_b)) == []


@pytest.mark.parametrize("action", ["view", "change"])
def test_user_without_a_role_may_act_on_nothing(nobody, resources, action):
    assert visible(nobody, action) == set()


def test_user_without_a_role_cannot_view_even_own_departments_resource(nobody, resources):
    assert not can(nobody, "view", resources["a"])


def test_anonymous_visitor_sees_nothing(resources):
    assert visible(AnonymousUser()) == set()


def test_anonymous_visitor_cannot_view_a_published_resource(dept_a, liaison_a, officer):
    resource = make_published_resource(dept_a, liaison_a, officer)
    assert not can(AnonymousUser(), "view", resource)


def test_inactive_officer_may_act_on_nothing(officer, resources):
    officer.is_active = False
    officer.save()
    assert visible(fresh(officer)) == set()


# --- Published resources are visible to every liaison through `also` ---------------------------


PUBLISHED = Q(status=ResourceStatus.PUBLISHED)


def test_other_liaisons_see_published_resources_through_also(dept_a, liaison_a, liaison_b, officer):
    published = make_published_resource(dept_a, liaison_a, officer)
    assert published in visible(liaison_b, also=PUBLISHED)


def test_other_liaisons_do_not_see_unpublished_resources_through_also(dept_a, liaison_a, liaison_b):
    make_resource(dept_a, liaison_a)
    assert visible(liaison_b, also=PUBLISHED) == set()


def test_also_does_not_apply_to_users_without_a_role(dept_a, liaison_a, officer, nobody):
    make_published_resource(dept_a, liaison_a, officer)
    assert visible(nobody, also=PUBLISHED) == set()


def test_also_does_not_apply_to_anonymous_visitors(dept_a, liaison_a, officer):
    make_published_resource(dept_a, liaison_a, officer)
    assert visible(AnonymousUser(), also=PUBLISHED) == set()


def test_also_does_not_widen_change(dept_a, liaison_a, liaison_b, officer):
    make_published_resource(dept_a, liaison_a, officer)
    assert visible(liaison_b, "change") == set()


# --- Query count ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_restricted_list_costs_one_query_whatever_the_number_of_grants(
    dept_a, dept_b, liaison_a, liaison_b, django_assert_num_queries, rows
):
    for _ in range(rows):
        make_resource(dept_a, liaison_a, items=1)
        make_resource(dept_b, liaison_b, items=1)
    user = fresh(liaison_a)
    restrict(DataResource.objects.all(), user).exists()  # loads the role and permission caches
    with django_assert_num_queries(1):
        assert len(list(restrict(DataResource.objects.all(), user, also=PUBLISHED))) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_restricted_list_for_a_new_request_costs_the_same_at_any_size(
    dept_a, liaison_a, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        make_resource(dept_a, liaison_a, items=0)
    user = fresh(liaison_a)
    # Role lookup, the two permission lookups of ModelBackend, and the list itself.
    with django_assert_max_num_queries(4):
        assert len(list(restrict(DataResource.objects.all(), user))) == rows


def test_reference_data_is_visible_in_full_to_every_role_that_may_view_it(liaison_a, dept_a, dept_b, bureau):
    from catalog.models import DataElement, Department
    from tests.factories import make_element

    make_element()
    assert set(restrict(Department.objects.all(), liaison_a)) == {dept_a, dept_b, bureau}
    assert restrict(DataElement.objects.all(), liaison_a).count() == 1


def test_a_model_without_object_grants_is_never_opened_up_by_default(liaison_a):
    from sharing.models import UsageRecord

    with pytest.raises(LookupError):
        list(restrict(UsageRecord.objects.all(), liaison_a))
