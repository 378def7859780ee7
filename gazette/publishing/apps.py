from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "gazette.publishing"
    label = "publishing"
    verbose_name = "Publishing"
