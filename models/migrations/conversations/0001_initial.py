from tortoise import migrations
from tortoise.migrations import operations as ops
from models.conversations import ConversationKind
from models.restaurants import Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('meals', '0001_initial'), ('reviews', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='DIRECT: direct\nMEAL: meal', enum_type=ConversationKind, max_length=16)),
                ('pair', fields.CharField(null=True, unique=True, max_length=48)),
                ('meal', fields.OneToOneField('meals.SharedMeal', source_field='meal_id', null=True, db_constraint=True, to_field='id', related_name='conversation', on_delete=OnDelete.CASCADE)),
                ('last_message_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'conversations', 'app': 'conversations', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConversationMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('conversations.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='conversation_memberships', on_delete=OnDelete.CASCADE)),
                ('active', fields.BooleanField(default=True)),
                ('left_after', fields.BigIntField(null=True)),
                ('last_read_id', fields.BigIntField(default=0)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'conversation_members', 'app': 'conversations', 'unique_together': (('conversation', 'user'),), 'indexes': [Index(fields=['user_id', 'active'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('conversations.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('sender', fields.ForeignKeyField('accounts.User', source_field='sender_id', db_constraint=True, to_field='id', related_name='messages_sent', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(default='', unique=False)),
                ('photo', fields.OneToOneField('reviews.Photo', source_field='photo_id', null=True, db_constraint=True, to_field='id', related_name='message', on_delete=OnDelete.SET_NULL)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'messages', 'app': 'conversations', 'indexes': [Index(fields=['conversation_id', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
