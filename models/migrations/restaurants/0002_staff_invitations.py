from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0004_only_diners_are_foodies'), ('restaurants', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffInvitation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='staff_invitations', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='staff_invitations', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_invitations', 'app': 'restaurants', 'unique_together': (('restaurant', 'user'),), 'pk_attr': 'id', 'table_description': 'Pending offers of staff rights (accepted: a restaurant_staff row)'},
            bases=['Model'],
        ),
    ]
