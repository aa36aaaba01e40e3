"""Factories for transport. They write rows directly (no service rules), so tests can set up
any state quickly; the rules are tested through the services and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from apps.accounts.tests.factories import SchoolFactory
from apps.transport.models import CrewMember, Route, Stop, Trip, TripStop, Vehicle

FAR = dt.date(2099, 12, 31)


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    school = factory.SubFactory(SchoolFactory)
    registration_number = factory.Sequence(lambda n: f"RJ14 PB {1000 + n}")
    kind = "bus"
    seats = 40
    fitness_expiry = insurance_expiry = permit_expiry = pollution_expiry = FAR


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrewMember

    school = factory.SubFactory(SchoolFactory)
    role = "driver"
    name = factory.Sequence(lambda n: f"Driver {n}")
    licence_number = factory.Sequence(lambda n: f"RJ14 2020{n:07d}")
    licence_expiry = FAR


class AttendantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrewMember

    school = factory.SubFactory(SchoolFactory)
    role = "attendant"
    name = factory.Sequence(lambda n: f"Attendant {n}")


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Route {n}")
    code = factory.Sequence(lambda n: f"R{n}")


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stop

    route = factory.SubFactory(RouteFactory)
    school = factory.SelfAttribute("route.school")
    sequence = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Stop {n}")
    latitude = Decimal("26.900000")
    longitude = Decimal("75.800000")
    geofence_radius_m = 150


class TripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trip

    route = factory.SubFactory(RouteFactory)
    school = factory.SelfAttribute("route.school")
    shift = "pickup"
    name = factory.Sequence(lambda n: f"Trip {n}")
    vehicle = factory.SubFactory(VehicleFactory, school=factory.SelfAttribute("..school"))
    driver = factory.SubFactory(DriverFactory, school=factory.SelfAttribute("..school"))
    attendant = factory.SubFactory(AttendantFactory, school=factory.SelfAttribute("..school"))


class TripStopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TripStop

    trip = factory.SubFactory(TripFactory)
    school = factory.SelfAttribute("trip.school")
    stop = factory.SubFactory(StopFactory, route=factory.SelfAttribute("..trip.route"))
    sequence = factory.Sequence(lambda n: n + 1)
    scheduled_time = dt.time(7, 0)
